// The job queue (seed 003's dashboard; seed 004's /hubs/job-progress): queue stats, active jobs
// with their progress (message, detail, percentage), recent jobs, and failed jobs with their
// error and attempt count. REST: GET /api/jobs, GET /api/queue/stats (api/job_routes.hpp).
// Live: JobProgressUpdate for the active jobs this page subscribes to ("job-{id}"), and
// BroadcastNotification when an external job or a scan starts or ends; behind them a poll
// every 3 s, since internal queue jobs announce nothing to connections not subscribed.
import { $, api, h, progressBar, throttle } from './dom.js';
import { formatAgo, formatCount } from './format.js';

const STATS = ['pending', 'processing', 'completed', 'failed', 'cancelled'];
// A scan on the queue is thousands of small jobs: the page lists (and subscribes to) the first
// few and counts the rest.
const SHOWN_PROCESSING = 20;
const SHOWN_PENDING = 5;

function jobLabel(job) {
  const type = job.jobType && job.jobType !== job.type ? `${job.type} · ${job.jobType}` : job.type;
  return `#${job.jobId} ${type}`;
}

export class JobsPanel {
  constructor(root, { connectionFor }) {
    this.root = root;
    this.connectionFor = connectionFor;
    this.stats = $('#queue-stats', root);
    this.active = $('#active-jobs', root);
    this.failed = $('#failed-jobs', root);
    this.recent = $('#recent-jobs', root);
    this.subscribed = new Set();
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
    let stats, active, failed, recent;
    try {
      [stats, active, failed, recent] = await Promise.all([
        api('GET', '/api/queue/stats'),
        Promise.all([api('GET', `/api/jobs?status=processing&limit=${SHOWN_PROCESSING}`), api('GET', `/api/jobs?status=pending&limit=${SHOWN_PENDING}`)])
          .then(([a, b]) => [...a, ...b]),
        api('GET', '/api/jobs?status=failed&limit=20'),
        api('GET', '/api/jobs?limit=15'),
      ]);
    } catch (err) {
      this.active.replaceChildren(h('li', { className: 'muted' }, `Jobs unavailable: ${err.message}`));
      return;
    }
    for (const name of STATS) this.statCells[name].textContent = formatCount(stats[name]);
    const more = (stats.processing || 0) + (stats.pending || 0) - active.length;
    this.active.replaceChildren(...(active.length ? active.map((job) => this.activeRow(job))
      : [h('li', { className: 'muted' }, 'No job is running.')]),
    ...(more > 0 ? [h('li', { className: 'muted' }, `and ${formatCount(more)} more`)] : []));
    this.failed.replaceChildren(...(failed.length ? failed.map((job) => this.failedRow(job))
      : [h('li', { className: 'muted' }, 'No failed job.')]));
    const recentRow = (job) => h('tr', { dataset: { jobId: String(job.jobId) } },
      h('td', {}, jobLabel(job)), h('td', { className: `status-${job.status}` }, job.status),
      h('td', {}, `${job.attempts} / ${job.maxAttempts}`),
      h('td', { className: 'muted' }, formatAgo(job.finishedAt || job.startedAt || job.createdAt)));
    this.recent.replaceChildren(...(recent.length ? recent.map(recentRow)
      : [h('tr', {}, h('td', { className: 'muted', colSpan: 4 }, 'No job yet.'))]));
    this.subscribe(active.map((job) => job.hubJobId).filter(Boolean));
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
    const p = job.progress;
    if (job.status === 'pending' && !p) {
      // Waiting jobs have nothing to show but their place in line: one short row, no empty bar.
      return h('li', { className: 'job waiting', dataset: { jobId: String(job.jobId), hubJobId: job.hubJobId } },
        h('div', { className: 'row' }, h('span', {}, jobLabel(job)),
          h('span', { className: 'muted job-status' }, `queued ${formatAgo(job.createdAt)}`
            + `${job.attempts > 0 ? ` · attempt ${job.attempts + 1} of ${job.maxAttempts} next` : ''}`)),
        job.lastError ? h('p', { className: 'error' }, `Last attempt failed: ${job.lastError}`) : null);
    }
    const bar = progressBar(`${jobLabel(job)} progress`);
    const pct = p ? Math.round(p.percentage ?? (p.total ? (p.current * 100) / p.total : 0)) : 0;
    // A job that reports no progress (a scan's directory-scan, cache-asset) is busy, not at 0%:
    // its bar is indeterminate and no percentage is shown.
    const measured = Boolean(p && (p.total > 0 || pct > 0));
    if (job.status === 'processing' && measured) bar.update(pct, 100, `${pct}%${p.message ? `: ${p.message}` : ''}`);
    else bar.update(0, job.status === 'pending' ? 100 : 0, job.status);
    // What it works on: the reported detail, else the directory or file in its payload.
    const detail = p?.detail || job.payload?.directoryPath || job.payload?.sourcePath || null;
    return h('li', { className: 'job', dataset: { jobId: String(job.jobId), hubJobId: job.hubJobId } },
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

  /** A JobProgressUpdate moves that job's bar and message before the next poll. */
  applyUpdate(update) {
    const row = this.active.querySelector(`[data-hub-job-id="${CSS.escape(String(update.jobId))}"]`);
    if (!row) return;
    const pct = Math.round(Number(update.progress) || 0);
    const bar = $('[role=progressbar]', row);
    if (!bar) return;  // a waiting row; the poll this update triggers redraws it with a bar
    bar.update(pct, 100, `${pct}%`);
    $('.job-percent', row).textContent = `${pct}%`;
    if (update.statusMessage) $('.job-message', row).textContent = update.statusMessage;
    // Sent as a job ends, just before JobCompleted; the poll it triggers removes the row.
    if (/^completed$/i.test(update.status || '')) {
      $('.job-message', row).textContent = 'Done';
      $('.job-status', row).textContent = 'completed';
    }
  }
}
