// The job queue (seed 003's dashboard): queue stats, active jobs with their progress (message,
// detail, percentage), recent jobs, and failed jobs with their error and attempt count.
//
// One state (job_state.js) renders the whole section, so the counters, the active list and the
// recent table always agree. It follows seed 003's events pushed on scanhub's /ws socket
// (event_socket.js): every job:created, started, progress, completed and failed moves it at
// once, queue:stats sets the counters. A snapshot of GET /api/queue (counts and lists read in one
// transaction, api/job_routes.hpp) is loaded after every (re)connect of the socket, so nothing
// that happened while it was down is missed, and when the events leave a list short (a row
// that left while more are counted, a job listed without its details), at most once a second.
// Events that arrive while a snapshot is on its way are applied again on top of it (QueueState's
// replay). While the socket is down the snapshot is polled every 3 s instead.
import { $, api, h, progressBar, throttle } from './dom.js';
import { formatAgo, formatCount } from './format.js';
import { INCOMPLETE, QueueState, STATS } from './job_state.js';

/** Seed 003's events the section follows. */
export const JOB_EVENTS = ['job:created', 'job:started', 'job:progress', 'job:completed', 'job:failed', 'queue:stats'];

// A scan on the queue is thousands of small jobs: the page lists the newest few of each status
// and counts the rest.
const SHOWN_PROCESSING = 20;
const SHOWN_PENDING = 5;
const SHOWN_FAILED = 20;
const SHOWN_RECENT = 15;
const SNAPSHOT = `/api/queue?processing=${SHOWN_PROCESSING}&pending=${SHOWN_PENDING}&failed=${SHOWN_FAILED}&recent=${SHOWN_RECENT}`;
const POLL_MS = 3000;

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
  constructor(root) {
    this.root = root;
    this.stats = $('#queue-stats', root);
    this.active = $('#active-jobs', root);
    this.failed = $('#failed-jobs', root);
    this.recent = $('#recent-jobs', root);
    this.state = new QueueState({ processing: SHOWN_PROCESSING, pending: SHOWN_PENDING, failed: SHOWN_FAILED, recent: SHOWN_RECENT });
    this.live = false;       // the /ws socket is connected: events keep the state
    this.loading = false;    // a snapshot is on its way
    this.again = false;      // another one was asked for meanwhile
    this.arrived = null;     // events received while the snapshot is on its way
    this.renderQueued = false;
    this.refresh = throttle(() => this.load(), 1000);
    this.statCells = Object.fromEntries(STATS.map((name) => {
      const value = h('strong', { className: 'stat-value', textContent: '–' });
      this.stats.append(h('div', { className: `stat stat-${name}`, dataset: { stat: name } }, value, h('span', {}, name)));
      return [name, value];
    }));
    // The fallback while the socket is down.
    setInterval(() => { if (!this.live && document.visibilityState === 'visible') this.refresh(); }, POLL_MS);
  }

  /** Follows `socket` (an EventSocket on /ws): its events, and a snapshot after each connect. */
  follow(socket) {
    for (const type of JOB_EVENTS) socket.on(type, (message) => this.onEvent(message));
    socket.onConnected(() => {
      this.live = true;
      this.load();
    });
    socket.onStateChange((state) => { if (state !== 'connected') this.live = false; });
  }

  onEvent(message) {
    this.arrived?.push(message);
    if (this.state.applyEvent(message) === INCOMPLETE && this.live) this.refresh();
    this.queueRender();
  }

  /** One render per frame however many events arrive in it (a scan's discovery creates
   * hundreds of jobs at once). */
  queueRender() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  /** Loads a snapshot and renders it, with the events that arrived meanwhile applied on top. */
  async load() {
    if (this.loading) {
      this.again = true;
      return;
    }
    this.loading = true;
    this.arrived = [];
    let snapshot;
    try {
      snapshot = await api('GET', SNAPSHOT);
    } catch (err) {
      this.arrived = null;
      this.loading = false;
      if (!this.state.stats) this.active.replaceChildren(h('li', { className: 'muted' }, `Jobs unavailable: ${err.message}`));
      return;
    }
    const arrived = this.arrived;
    this.arrived = null;
    this.state.applySnapshot(snapshot);
    let incomplete = false;
    for (const message of arrived) {
      if (this.state.applyEvent(message, { replay: true }) === INCOMPLETE) incomplete = true;
    }
    this.render();
    this.loading = false;
    if (this.again || (incomplete && this.live)) {
      this.again = false;
      this.refresh();
    }
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
}
