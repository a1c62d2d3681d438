// The job queue (seed 003's dashboard; seed 004's /hubs/job-progress): queue stats, active jobs
// with their progress (message, detail, percentage), recent jobs, and failed jobs with their
// error and attempt count.
//
// One state (job_state.js) renders the whole section, so the counters, the active list and the
// recent table always agree: it comes from GET /api/queue (counts and lists read in one
// transaction, api/job_routes.hpp), polled every 3 s and after every hub event; in between,
// JobProgressUpdate moves an active job's bar (for the jobs this page subscribes to, "job-{id}").
// A job that ends leaves the active list with the next snapshot, never shown there as done.
// When the page takes seed 003's pushed events (/ws), they go to QueueState.applyEvent and
// render(), and the poll becomes the fallback.
import { $, api, h, progressBar, throttle } from './dom.js';
import { formatAgo, formatCount } from './format.js';
import { QueueState, STATS } from './job_state.js';

// A scan on the queue is thousands of small jobs: the page lists (and subscribes to) the first
// few and counts the rest.
const SHOWN_PROCESSING = 20;
const SHOWN_PENDING = 5;
const SHOWN_FAILED = 20;
const SHOWN_RECENT = 15;
const SNAPSHOT = `/api/queue?processing=${SHOWN_PROCESSING}&pending=${SHOWN_PENDING}&failed=${SHOWN_FAILED}&recent=${SHOWN_RECENT}`;

function jobLabel(job) {
  const type = job.jobType && job.jobType !== job.type ? `${job.type} · ${job.jobType}` : job.type;
  return `#${job.jobId} ${type}`;
}

/** Whole percent of a job's progress, and whether it measures anything. */
function jobPercent(job) {
  const p = job.progress;
  const pct = p ? Math.min(100, Math.max(0, Math.floor(p.percentage ?? (p.total ? (p.current * 100) / p.total : 0)))) : 0;
  // A job that reports no progress (a scan's directory-scan, cache-asset) is busy, not at 0%.
  return { pct, measured: Boolean(p && (p.total > 0 || pct > 0)) };
}

export class JobsPanel {
  constructor(root, { connectionFor }) {
    this.root = root;
    this.connectionFor = connectionFor;
    this.stats = $('#queue-stats', root);
    this.active = $('#active-jobs', root);
    this.failed = $('#failed-jobs', root);
    this.recent = $('#recent-jobs', root);
    this.state = new QueueState();
    this.subscribed = new Set();
    this.requested = 0;  // snapshots asked for
    this.applied = 0;    // the newest one rendered (an older answer arriving late is dropped)
    this.refresh = throttle(() => this.load(), 500);
    this.statCells = Object.fromEntries(STATS.map((name) => {
      const value = h('strong', { className: 'stat-value', textContent: '–' });
      this.stats.append(h('div', { className: `stat stat-${name}`, dataset: { stat: name } }, value, h('span', {}, name)));
      return [name, value];
    }));
    setInterval(() => { if (document.visibilityState === 'visible') this.refresh(); }, 3000);
  }

  /** Client methods of /hubs/job-progress. */
  handlers(onBroadcast) {
    return {
      JobProgressUpdate: (update) => { this.applyUpdate(update); this.refresh(); },
      JobCompleted: () => this.refresh(),
      JobFailed: () => this.refresh(),
      BroadcastNotification: (notification) => { this.refresh(); onBroadcast(notification); },
      Error: (error) => console.warn(`job hub: ${error?.message || error}`),
    };
  }

  /** After a (re)connect: the new connection has no groups; subscribe again. */
  async resubscribe() {
    this.subscribed.clear();
    await this.load();
  }

  async load() {
    const request = ++this.requested;
    let snapshot;
    try {
      snapshot = await api('GET', SNAPSHOT);
    } catch (err) {
      this.active.replaceChildren(h('li', { className: 'muted' }, `Jobs unavailable: ${err.message}`));
      return;
    }
    if (request < this.applied) return;
    this.applied = request;
    this.state.applySnapshot(snapshot);
    this.render();
    this.subscribe(this.state.active.map((job) => job.hubJobId).filter(Boolean));
  }

  /** Draws the whole section from this.state, in one go. */
  render() {
    const { state } = this;
    for (const name of STATS) this.statCells[name].textContent = formatCount(state.stats?.[name]);
    const more = state.more();
    const moreActive = more.processing + more.pending;
    const moreText = [more.processing ? `${formatCount(more.processing)} running` : '', more.pending ? `${formatCount(more.pending)} waiting` : '']
      .filter(Boolean).join(', ');
    this.active.replaceChildren(...(state.active.length ? state.active.map((job) => this.activeRow(job))
      : [h('li', { className: 'muted' }, moreActive ? 'None listed.' : 'No job is running.')]),
    ...(moreActive > 0 ? [h('li', { className: 'muted more', dataset: { moreProcessing: String(more.processing), morePending: String(more.pending) } },
      `and ${formatCount(moreActive)} more (${moreText})`)] : []));
    this.failed.replaceChildren(...(state.failed.length ? state.failed.map((job) => this.failedRow(job))
      : [h('li', { className: 'muted' }, 'No failed job.')]),
    ...(more.failed > 0 ? [h('li', { className: 'muted more', dataset: { moreFailed: String(more.failed) } },
      `and ${formatCount(more.failed)} more`)] : []));
    const recentRow = (job) => h('tr', { dataset: { jobId: String(job.jobId) } },
      h('td', {}, jobLabel(job)), h('td', { className: `status-${job.status}` }, job.status),
      h('td', {}, `${job.attempts} / ${job.maxAttempts}`),
      h('td', { className: 'muted' }, formatAgo(job.finishedAt || job.startedAt || job.createdAt)));
    this.recent.replaceChildren(...(state.recent.length ? state.recent.map(recentRow)
      : [h('tr', {}, h('td', { className: 'muted', colSpan: 4 }, 'No job yet.'))]));
  }

  async subscribe(hubJobIds) {
    const connection = this.connectionFor();
    if (!connection) return;
    for (const id of hubJobIds) {
      if (this.subscribed.has(id)) continue;
      this.subscribed.add(id);
      connection.invoke('SubscribeToJob', id).catch((err) => {
        this.subscribed.delete(id);
        console.warn(`SubscribeToJob(${id}): ${err.message}`);
      });
    }
  }

  activeRow(job) {
    const data = { jobId: String(job.jobId), hubJobId: job.hubJobId, status: job.status };
    if (job.status === 'pending' && !job.progress) {
      // Waiting jobs have nothing to show but their place in line: one short row, no empty bar.
      return h('li', { className: 'job waiting', dataset: data },
        h('div', { className: 'row' }, h('span', {}, jobLabel(job)),
          h('span', { className: 'muted job-status' }, `queued ${formatAgo(job.createdAt)}`
            + `${job.attempts > 0 ? ` · attempt ${job.attempts + 1} of ${job.maxAttempts} next` : ''}`)),
        job.lastError ? h('p', { className: 'error' }, `Last attempt failed: ${job.lastError}`) : null);
    }
    const p = job.progress;
    const bar = progressBar(`${jobLabel(job)} progress`);
    const { pct, measured } = jobPercent(job);
    if (job.status === 'processing' && measured) bar.update(pct, 100, `${pct}%${p.message ? `: ${p.message}` : ''}`);
    else bar.update(0, job.status === 'pending' ? 100 : 0, job.status);
    // What it works on: the reported detail, else the directory or file in its payload.
    const detail = p?.detail || job.payload?.directoryPath || job.payload?.displayPath || job.payload?.sourcePath || null;
    return h('li', { className: 'job', dataset: data },
      h('div', { className: 'row' }, h('strong', {}, jobLabel(job)),
        h('span', { className: 'muted job-status' }, `${job.status}${job.attempts > 1 ? ` · attempt ${job.attempts} of ${job.maxAttempts}` : ''}`)),
      bar,
      h('p', { className: 'row' }, h('span', { className: 'job-message' }, p?.message || (job.status === 'pending' ? 'Waiting to start' : 'Processing…')),
        h('span', { className: 'job-percent' }, measured ? `${pct}%` : ''),
        p && p.total ? h('span', { className: 'muted' }, `${formatCount(p.current)} / ${formatCount(p.total)}`) : null),
      detail ? h('p', { className: 'muted job-detail' }, detail) : null,
      job.lastError ? h('p', { className: 'error' }, `Last attempt failed: ${job.lastError}`) : null);
  }

  failedRow(job) {
    return h('li', { className: 'job failed', dataset: { jobId: String(job.jobId) } },
      h('div', { className: 'row' }, h('strong', {}, jobLabel(job)),
        h('span', { className: 'job-attempts' }, `attempt ${formatCount(job.attempts)} of ${formatCount(job.maxAttempts)}`)),
      h('p', { className: 'error job-error' }, job.lastError || 'failed without an error message'),
      h('p', { className: 'muted' }, `failed ${formatAgo(job.finishedAt)}`));
  }

  /**
   * A JobProgressUpdate (seed 004) moves a running job's bar and message at once. An update
   * saying the job ended changes nothing here: the snapshot it triggers takes the job out of
   * the active list and counts it, in one render.
   */
  applyUpdate(update) {
    // Queue jobs are "job-{id}" there; decimal ids name scans.
    const match = /^job-(\d+)$/.exec(String(update.jobId));
    if (!match || !/^running$/i.test(update.status || '')) return;
    // Seed 004's currentStage is the job's progress message, statusMessage its detail (or the
    // message when it has none).
    const message = update.currentStage || update.statusMessage || '';
    const detail = update.currentStage && update.statusMessage !== update.currentStage ? update.statusMessage : '';
    const changed = this.state.applyProgress(Number(match[1]), {
      percentage: Math.floor(Number(update.progress) || 0), message, detail,
    });
    if (changed) this.render();
  }
}
