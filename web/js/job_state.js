// The job queue as the dashboard shows it: one state for the whole section, so every part of
// it agrees. Pure (no DOM): JobsPanel renders it.
//
// Invariants, after every change:
// - one object per job: a job listed under "Active jobs" and under "Recent jobs" is the same
//   object, so both say the same status;
// - the active list holds pending and processing jobs only;
// - the counters equal the lists: stats.processing = processing rows + moreProcessing, and the
//   same for pending and failed (rows beyond the shown ones are counted, not listed).
//
// Sources: a snapshot of GET /api/queue (counts and lists from one read transaction) replaces
// everything; live updates in between change one job and move its count with it. When the
// page takes seed 003's pushed events (/ws), applyEvent maps them onto the same changes.

export const STATS = ['pending', 'processing', 'completed', 'failed', 'cancelled'];
const ACTIVE = new Set(['pending', 'processing']);

export class QueueState {
  constructor() {
    this.stats = null;
    this.active = [];
    this.failed = [];
    this.recent = [];
    this.byId = new Map();
  }

  /** GET /api/queue's {stats, active, failed, recent}. */
  applySnapshot({ stats, active, failed, recent }) {
    this.byId = new Map();
    const one = (job) => {
      const known = this.byId.get(job.jobId);
      if (known) return known;
      this.byId.set(job.jobId, job);
      return job;
    };
    this.stats = { ...stats };
    this.active = active.map(one).filter((job) => ACTIVE.has(job.status));
    this.failed = failed.map(one);
    this.recent = recent.map(one);
  }

  /** Rows beyond the listed ones: {processing, pending, failed}. */
  more() {
    const count = (list, status) => list.filter((job) => job.status === status).length;
    const s = this.stats || {};
    return {
      processing: Math.max(0, (s.processing || 0) - count(this.active, 'processing')),
      pending: Math.max(0, (s.pending || 0) - count(this.active, 'pending')),
      failed: Math.max(0, (s.failed || 0) - this.failed.length),
    };
  }

  /** The newest progress of an active, processing job; false when it is not listed. */
  applyProgress(jobId, progress) {
    const job = this.byId.get(jobId);
    if (!job || job.status !== 'processing') return false;
    job.progress = { ...(job.progress || {}), ...progress };
    return true;
  }

  /**
   * Job `jobId` is now `status` (fields: more of the job, e.g. lastError, attempts). Its count
   * moves with it; an ended job leaves the active list (and joins the failed one if it failed).
   * Returns false when the job is not known (the caller loads a snapshot).
   */
  applyStatus(jobId, status, fields = {}) {
    const job = this.byId.get(jobId);
    if (!job || !this.stats) return false;
    if (job.status !== status) {
      this.stats[job.status] = Math.max(0, (this.stats[job.status] || 0) - 1);
      this.stats[status] = (this.stats[status] || 0) + 1;
    }
    Object.assign(job, fields, { status });
    if (!ACTIVE.has(status)) this.active = this.active.filter((j) => j !== job);
    if (status === 'failed' && !this.failed.includes(job)) this.failed.unshift(job);
    return true;
  }

  /**
   * Seed 003's pushed events (job:created, job:started, job:progress, job:completed,
   * job:failed, queue:stats) as the /ws socket sends them. Returns false when the state cannot
   * follow (an unknown job): load a snapshot then.
   */
  applyEvent(message) {
    switch (message.type) {
      case 'job:created':
        if (!this.stats) return false;
        this.stats.pending = (this.stats.pending || 0) + 1;
        return true;  // counted; listed by the next snapshot
      case 'job:started':
        return this.applyStatus(message.jobId, 'processing', { attempts: message.attempt });
      case 'job:progress':
        return this.applyProgress(message.jobId, message.progress);
      case 'job:completed':
        return this.applyStatus(message.jobId, 'completed');
      case 'job:failed':
        return this.applyStatus(message.jobId,
          message.cancelled ? 'cancelled' : message.willRetry ? 'pending' : 'failed', { lastError: message.error });
      default:
        // queue:stats included: the counts follow the job events above, so the lists and the
        // counters agree; the next snapshot confirms both.
        return true;
    }
  }
}
