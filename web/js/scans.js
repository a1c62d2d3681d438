// Live scans: one panel per scan with a card per phase (seed 002: discovering, scanning,
// caching, enriching), each with its own done/total bar, rate, ETA and counts; errors with the
// last one and all of them on request; "library is ready" once scanning is done while the rest
// continues; cancel; and the final summary with durations (seed 000's ScanSummaryDto).
//
// Data: /hubs/progress events (ScanProgress, EmbeddingProgress: seed 000's ScanProgressDto plus
// stage, currentDirectory, ratePerSecond, estimatedTimeRemaining) move the bars at once; every
// counter of GET /api/scans/{id} (api/scan_json.cpp) is fetched at most twice a second behind
// them. Counters never go backwards here: two sources may arrive out of order.
//
// Seed 002's fan-out means a later phase's jobs (cache-asset, enrichers) may run beside the
// current phase: such a card shows "running alongside <phase>" with its real counts and no ETA
// (its total grows until the current phase ends). Words follow the library's type (tracks for
// music, movies for movie libraries; LibrariesPanel's listing), and a phase with nothing to do
// says why.

import { $, api, h, progressBar, throttle } from './dom.js';
import {
  formatCount, formatProgress, formatRate, formatSeconds, formatTime, parseIsoDuration, percent, plural,
  secondsBetween,
} from './format.js';

/** Why a scan ran (GET /api/scans/{id} trigger; seed 001's triggers), as a person would say it. */
const TRIGGER_TEXT = {
  manual: 'started by hand',
  'library-added': 'the library was just added',
  'file-system-event': 'files changed on disk',
};
const RANK = { discovering: 0, scanning: 1, caching: 2, enriching: 3, completed: 9, failed: 9, cancelled: 9 };
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
const COUNTERS = ['directoriesTotal', 'directoriesScanned', 'tracksFound', 'tracksNew', 'tracksUpdated',
  'tracksRemoved', 'moviesFound', 'moviesNew', 'moviesUpdated', 'assetsQueued', 'assetsCached', 'assetsFailed',
  'enrichmentQueued', 'enrichmentCompleted', 'enrichmentSkipped', 'enrichmentFailed', 'errorsCount'];

/** Each phase: how far it is (done of total, in `unit`), when it started and ended. */
const PHASES = [
  {
    key: 'discovering', title: 'Discovering', unit: 'directories',
    // Its total is known only once it ends; while it runs the bar is indeterminate.
    progress: (s) => ({ done: s.directoriesTotal, total: s.directoriesTotal }),
    startedAt: (s) => s.startedAt,
    endedAt: (s) => s.discoveryCompletedAt,
    details: (s) => [`${plural(s.directoriesTotal, 'directory', 'directories')} found`],
  },
  {
    key: 'scanning', title: 'Scanning', unit: 'directories',
    progress: (s) => ({ done: s.directoriesScanned, total: s.directoriesTotal }),
    startedAt: (s) => s.discoveryCompletedAt,
    endedAt: (s) => s.scanningCompletedAt,
    details: (s, kind) => {
      const out = [];
      if (s.tracksFound || kind !== 'movie') {
        out.push(`${plural(s.tracksFound, 'track')} found (${formatCount(s.tracksNew)} new, ` +
                 `${formatCount(s.tracksUpdated)} updated${s.tracksRemoved ? `, ${formatCount(s.tracksRemoved)} removed` : ''})`);
      }
      if (s.moviesFound || kind !== 'music') {
        out.push(`${plural(s.moviesFound, 'movie')} found (${formatCount(s.moviesNew)} new, ${formatCount(s.moviesUpdated)} updated)`);
      }
      if (s.assetsQueued) out.push(`${plural(s.assetsQueued, 'asset')} discovered`);
      return out;
    },
  },
  {
    key: 'caching', title: 'Caching assets', unit: 'assets',
    progress: (s) => ({ done: s.assetsCached + s.assetsFailed, total: s.assetsQueued }),
    startedAt: (s) => s.scanningCompletedAt,
    // Its jobs are queued by directory scans and run beside them, before the phase begins.
    overlapsFrom: (s) => s.discoveryCompletedAt,
    endedAt: (s) => s.cachingCompletedAt,
    details: (s) => [`${plural(s.assetsQueued, 'asset')} found`, `${formatCount(s.assetsCached)} cached`,
      `${formatCount(s.assetsFailed)} failed`],
    nothing: (s) => (s.options?.enableCaching === false ? 'None: caching is off for this scan'
      : 'None: no artwork, trailers or subtitles found'),
  },
  {
    key: 'enriching', title: 'Enriching', unit: 'items',
    progress: (s) => ({ done: s.enrichmentCompleted + s.enrichmentSkipped + s.enrichmentFailed, total: s.enrichmentQueued }),
    startedAt: (s) => s.cachingCompletedAt || s.scanningCompletedAt,
    overlapsFrom: (s) => s.discoveryCompletedAt,
    endedAt: (s) => (s.status === 'completed' && s.enrichmentQueued ? s.completedAt : null),
    details: (s) => [`${formatCount(s.enrichmentCompleted)} done, ${formatCount(s.enrichmentSkipped)} skipped` +
                     `${s.enrichmentFailed ? `, ${formatCount(s.enrichmentFailed)} failed` : ''}`],
    nothing: (s, kind) => (s.options?.enableEnrichment === false ? 'None: enrichment is off for this scan'
      : kind === 'movie' ? 'None: no enricher for movie libraries'
      : s.enrichmentSkipped ? `None needed: ${formatCount(s.enrichmentSkipped)} skipped (too short or too long for embeddings)`
      : 'None: nothing to enrich'),
  },
];

function emptyState(id) {
  const s = { scanId: String(id), status: 'discovering', libraries: [], currentOperation: '', currentDirectory: null,
    lastError: null, failure: null, startedAt: null, discoveryCompletedAt: null, scanningCompletedAt: null,
    cachingCompletedAt: null, completedAt: null, options: null, live: null, summary: null };
  for (const key of COUNTERS) s[key] = 0;
  return s;
}

/** One scan on the page. */
class ScanView {
  constructor(id, { onCancel, onDismiss, announce, libraryType = () => undefined }) {
    this.id = String(id);
    this.announce = announce;
    this.libraryType = libraryType;
    this.state = emptyState(id);
    // The hub's events carry seed 000's fields; movies and assets come from the REST snapshot,
    // fetched behind them at most about three times a second.
    this.refresh = throttle(() => this.fetch(), 300);

    this.title = h('h3', { id: `scan-${this.id}-title` }, `Scan ${this.id}`);
    // Not a live region: it changes ten times a second. Phase changes are announced instead
    // (ScansPanel.announce).
    this.headline = h('p', { className: 'headline' });
    this.started = h('p', { className: 'started muted' });
    this.announced = null;
    this.cancel = h('button', { type: 'button', className: 'danger', textContent: 'Cancel scan' });
    this.cancel.addEventListener('click', () => onCancel(this));
    this.dismiss = h('button', { type: 'button', className: 'secondary', textContent: 'Close', hidden: true,
      attrs: { 'aria-label': `Close scan ${this.id}` } });
    this.dismiss.addEventListener('click', () => onDismiss(this));
    this.ready = h('p', { className: 'note', hidden: true, attrs: { role: 'status' } },
      h('strong', {}, 'Library is ready to use! '),
      h('span', { className: 'ready-rest' }));
    this.phases = PHASES.map((phase) => {
      const bar = progressBar(`Scan ${this.id}: ${phase.title.toLowerCase()} progress`);
      const card = h('li', { className: 'phase', dataset: { phase: phase.key } },
        h('div', { className: 'row' }, h('strong', {}, phase.title), h('span', { className: 'phase-state' })),
        bar,
        h('p', { className: 'row numbers' }, h('span', { className: 'count' }), h('span', { className: 'rate muted' }),
          h('span', { className: 'eta muted' })),
        h('p', { className: 'details' }),
        h('p', { className: 'current muted' }));
      return { phase, card, bar };
    });
    this.errors = h('div', { className: 'errors', hidden: true },
      h('p', {}, h('span', { className: 'error-count' }), ' ',
        h('a', { className: 'errors-link', href: `/api/scans/${this.id}/errors?limit=1000`, target: '_blank',
          textContent: 'all errors (JSON)' })),
      h('p', { className: 'last-error' }));
    this.errorList = h('details', { className: 'error-list', hidden: true },
      h('summary', {}, 'Show the errors here'), h('ol'));
    this.errorList.addEventListener('toggle', () => { if (this.errorList.open) this.loadErrors(); });
    this.summary = h('section', { className: 'summary', hidden: true, attrs: { 'aria-live': 'polite' } });
    this.el = h('article', { className: 'scan', dataset: { scanId: this.id }, attrs: { 'aria-labelledby': this.title.id } },
      h('header', { className: 'row' }, this.title, h('span', { className: 'actions' }, this.cancel, this.dismiss)),
      this.started, this.headline, this.ready,
      h('ol', { className: 'phases' }, this.phases.map((p) => p.card)),
      this.errors, this.errorList, this.summary);
  }

  get ended() { return TERMINAL.has(this.state.status); }

  /** "music", "movie" or "mixed": what the scan's libraries hold (from the libraries listing). */
  kind() {
    const s = this.state;
    const types = new Set(s.libraries.map((l) => this.libraryType(l.id)).filter(Boolean));
    if (types.size === 1) return [...types][0];
    if (types.size > 1) return 'mixed';
    return s.moviesFound && !s.tracksFound ? 'movie' : s.tracksFound && !s.moviesFound ? 'music' : 'mixed';
  }

  /** Merges GET /api/scans/{id}. */
  applyRest(scan) {
    const s = this.state;
    this.mergeStatus(scan.status);
    for (const key of COUNTERS) s[key] = Math.max(s[key], Number(scan[key]) || 0);
    for (const key of ['startedAt', 'discoveryCompletedAt', 'scanningCompletedAt', 'cachingCompletedAt', 'completedAt']) {
      s[key] = scan[key] || s[key];
    }
    s.libraries = scan.libraries || s.libraries;
    s.options = scan.options || s.options;
    s.failure = scan.failure || s.failure;
    s.lastError = scan.lastError || s.lastError;
    s.trigger = scan.trigger;
    if (!this.ended) s.currentOperation = scan.currentOperation || s.currentOperation;
    this.render();
  }

  /** Merges a ScanProgress / EmbeddingProgress payload (seed 000's ScanProgressDto + additions). */
  applyHub(p) {
    const s = this.state;
    // A later stage is taken from the REST snapshot, with the counters of that moment: the hub
    // event lacks the asset and enrichment counts, and a phase shown done beside counts from
    // before its end would contradict itself. Fetch it now.
    const ahead = p.stage in RANK && RANK[p.stage] > RANK[s.status];
    if (ahead) this.fetch();
    const bump = (key, value) => { if (value != null) s[key] = Math.max(s[key], Number(value) || 0); };
    bump('directoriesTotal', p.totalDirectories);
    bump('directoriesScanned', p.scannedDirectories);
    bump('tracksFound', p.indexedTracks);
    bump('tracksNew', p.tracksNew);
    bump('tracksUpdated', p.tracksUpdated);
    bump('tracksRemoved', p.tracksRemoved);
    bump('errorsCount', p.errorsCount);
    bump('enrichmentQueued', p.totalTracksForEmbedding);
    s.startedAt = s.startedAt || p.startedAt;
    if (p.lastError) s.lastError = p.lastError;
    if (!this.ended && !ahead) {
      s.currentDirectory = p.currentDirectory;
      s.currentOperation = p.currentOperation || s.currentOperation;
      s.live = { stage: p.stage, rate: p.ratePerSecond, eta: parseIsoDuration(p.estimatedTimeRemaining) };
    }
    if (p.libraryPath && !s.libraries.length) s.libraries = [{ id: p.libraryId, path: p.libraryPath }];
    this.render();
    if (!this.ended && !ahead) this.refresh();
  }

  mergeStatus(status) {
    if (!(status in RANK)) return;
    if (RANK[status] >= RANK[this.state.status] && !this.ended) this.state.status = status;
  }

  /** ScanCompleted (summary) or ScanFailed (reason). */
  finish(status, { summary = null, reason = null } = {}) {
    // The end is shown with the final counts: from the REST snapshot this fetches (and retries
    // once a second, ScansPanel.tick, until it says the scan ended).
    this.ending = true;
    if (summary) this.state.summary = summary;
    if (reason && status !== 'cancelled') this.state.failure = reason;
    this.fetch();
  }

  async fetch() {
    if (this.settled) return;  // its final state is in, and its library may be gone with it
    this.inflight = this.load();
    await this.inflight;
  }

  async load() {
    try {
      this.applyRest(await api('GET', `/api/scans/${this.id}`));
      if (this.ended) {
        this.ending = false;
        this.state.live = null;
      }
    } catch (err) {
      console.warn(`scan ${this.id}: ${err.message}`);
    }
  }

  /**
   * The scan ended with `scan` (GET /api/scans/{id}) as its final state: shown, and never asked
   * for again, since removing its library next removes the scan (404). A fetch already sent is
   * awaited first, so it cannot land after the removal.
   */
  async settle(scan) {
    await this.detach();
    this.applyRest(scan);
    this.ending = false;
    this.state.live = null;
    this.render();
  }

  /** Never fetches again (its library is being removed); resolves once a fetch in flight landed. */
  async detach() {
    this.settled = true;
    await this.inflight;
  }

  covers(libraryId) {
    return this.state.libraries.some((l) => String(l.id) === String(libraryId));
  }

  async loadErrors() {
    const list = $('ol', this.errorList);
    try {
      const errors = await api('GET', `/api/scans/${this.id}/errors?limit=1000`);
      list.replaceChildren(...errors.map((e) => h('li', {}, h('code', {}, e.path), ': ', e.reason)));
    } catch (err) {
      list.replaceChildren(h('li', { className: 'error' }, err.message));
    }
  }

  phaseState(phase) {
    const s = this.state;
    const { done, total } = phase.progress(s);
    // Done: the phase ended AND its count reached its total (seed 002: a phase ends when its
    // units are done). Never "done" beside "7 / 24".
    const ended = Boolean(phase.endedAt(s)) || (RANK[s.status] > RANK[phase.key] && !TERMINAL.has(s.status));
    if (ended && done >= total) return 'done';
    if (s.status === phase.key || (ended && !TERMINAL.has(s.status))) return 'running';
    if (s.status === 'completed') return total > 0 && done >= total ? 'done' : 'skipped';
    if (TERMINAL.has(s.status)) {
      // Where a failed or cancelled scan stopped: the first phase without an end time.
      const stoppedAt = PHASES.find((p) => !p.endedAt(s));
      return stoppedAt === phase ? 'stopped' : 'not reached';
    }
    // Work of a later phase already running beside the current one (seed 002's fan-out).
    if (phase.overlapsFrom && total > 0 && phase.overlapsFrom(s)) return 'running';
    return 'waiting';
  }

  render() {
    const s = this.state;
    const libraries = s.libraries.map((l) => l.path).join(', ');
    this.title.textContent = `Scan ${this.id}${libraries ? ` · ${libraries}` : ''}`;
    this.cancel.hidden = this.ended;
    this.dismiss.hidden = !this.ended;
    this.el.dataset.status = s.status;
    const why = TRIGGER_TEXT[s.trigger];
    this.started.textContent = s.startedAt
      ? `Started ${formatTime(s.startedAt)}${why ? ` · ${why}` : ''}` : '';

    for (const { phase, card, bar } of this.phases) this.renderPhase(phase, card, bar);

    const running = this.phases.find((p) => p.phase.key === s.status);
    if (this.ended) {
      this.headline.textContent = s.status === 'completed' ? 'Scan completed'
        : s.status === 'cancelled' ? 'Scan cancelled' : `Scan failed: ${s.failure || 'unknown reason'}`;
    } else if (running) {
      const { done, total } = running.phase.progress(s);
      const eta = this.eta(running.phase);
      const step = `step ${PHASES.indexOf(running.phase) + 1} of ${PHASES.length}`;
      const elapsed = secondsBetween(s.startedAt, null);
      this.headline.textContent = `${running.phase.title}… ${total ? `${percent(done, total)}% ` : ''}(${step})` +
        `${eta != null ? ` · about ${formatSeconds(eta)} left in this step` : ''}` +
        `${elapsed != null ? ` · running for ${formatSeconds(elapsed)}` : ''}`;
    }
    this.headline.classList.toggle('error', s.status === 'failed');
    if (this.announced !== s.status) {
      this.announced = s.status;
      const phase = PHASES.find((p) => p.key === s.status);
      this.announce(phase ? `Scan ${this.id}: ${phase.title.toLowerCase()}` : `Scan ${this.id}: ${this.headline.textContent}`);
    }

    // Seed 002: once scanning is done the library is usable; caching and enrichment go on.
    const ready = s.status === 'caching' || s.status === 'enriching' || s.status === 'completed';
    this.ready.hidden = !ready;
    $('.ready-rest', this.ready).textContent = s.status === 'completed' ? ''
      : `${s.status === 'caching' ? 'Caching assets' : 'Enrichment'} continues in the background.`;

    this.errors.hidden = !s.errorsCount;
    this.errorList.hidden = !s.errorsCount;
    $('.error-count', this.errors).textContent = `${plural(s.errorsCount, 'error')}:`;
    $('.last-error', this.errors).textContent = s.lastError ? `Last error: ${s.lastError}` : '';
    this.renderSummary();
  }

  /** Seconds left in `phase` while it runs: the server's ETA, else from its rate so far. */
  eta(phase) {
    const s = this.state;
    if (s.live && s.live.stage === phase.key && s.live.eta != null) return s.live.eta;
    const { done, total } = phase.progress(s);
    const rate = this.rate(phase);
    return rate && total > done ? (total - done) / rate : null;
  }

  rate(phase) {
    const s = this.state;
    if (s.live && s.live.stage === phase.key && s.live.rate > 0) return s.live.rate;
    const { done } = phase.progress(s);
    // From when its work could first run, so a phase that ran beside another is not credited
    // with a rate of all its work over its own short tail.
    const elapsed = secondsBetween(phase.overlapsFrom?.(s) || phase.startedAt(s), phase.endedAt(s));
    return done > 0 && elapsed > 0.2 ? done / elapsed : null;
  }

  renderPhase(phase, card, bar) {
    const s = this.state;
    const state = this.phaseState(phase);
    const { done, total } = phase.progress(s);
    // Running before its turn: its work runs beside the current phase, whose end fixes its total.
    const alongside = state === 'running' && s.status !== phase.key;
    card.dataset.state = state;
    $('.phase-state', card).textContent = alongside ? `running alongside ${s.status}` : {
      done: '✓ done', running: 'running', waiting: 'waiting', skipped: 'skipped', stopped: 'stopped', 'not reached': 'not reached',
    }[state];
    const count = $('.count', card);
    const rate = $('.rate', card);
    const eta = $('.eta', card);
    const details = $('.details', card);
    const current = $('.current', card);
    if (state === 'skipped') {
      bar.update(0, 0);
      bar.classList.add('idle');
      count.textContent = phase.nothing ? phase.nothing(s, this.kind()) : 'Not needed';
      rate.textContent = eta.textContent = details.textContent = current.textContent = '';
      return;
    }
    const idle = state === 'waiting' || state === 'not reached';
    bar.classList.toggle('idle', idle);
    if (idle) {
      // Nothing to count yet: an empty bar and no zeros that look like results.
      bar.update(0, Math.max(total, 1), state);
      count.textContent = rate.textContent = eta.textContent = details.textContent = current.textContent = '';
      return;
    }
    if (phase.key === 'discovering') {
      if (state === 'running') bar.update(0, 0, 'discovering directories');
      else bar.update(done, Math.max(total, 1), `${formatCount(done)} directories found`);
      count.textContent = `${plural(done, 'directory', 'directories')} found`;
    } else {
      bar.update(done, total,
        total ? `${formatCount(done)} of ${formatCount(total)} ${phase.unit}` : `${formatCount(done)} ${phase.unit}`);
      count.textContent = `${formatProgress(done, total)} ${phase.unit}`;
    }
    const phaseRate = state === 'running' || state === 'done' ? this.rate(phase) : null;
    rate.textContent = phaseRate ? formatRate(phaseRate, phase.unit === 'directories' ? 'dirs' : phase.unit) : '';
    if (alongside) {
      eta.textContent = `ETA once ${s.status} ends`;
    } else if (state === 'running') {
      const left = this.eta(phase);
      eta.textContent = left != null ? `ETA ${formatSeconds(left)}` : 'ETA: estimating…';
    } else if (state === 'done') {
      const took = secondsBetween(phase.startedAt(s), phase.endedAt(s) || s.completedAt);
      const previous = PHASES[PHASES.indexOf(phase) - 1];
      eta.textContent = took == null ? ''
        : phase.overlapsFrom ? `done ${formatSeconds(took)} after ${previous.title.toLowerCase()}` : `took ${formatSeconds(took)}`;
    } else {
      eta.textContent = '';
    }
    details.textContent = phase.key === 'discovering' ? '' : phase.details(s, this.kind()).join(' · ');
    current.textContent = state === 'running' && !alongside
      ? (s.currentDirectory ? `Now: ${s.currentDirectory}` : s.currentOperation || '') : '';
  }

  renderSummary() {
    const s = this.state;
    this.summary.hidden = !this.ended;
    if (!this.ended) return;
    // Every phase, so the summary says where the time went and which phases had nothing to do.
    // The last phase that ran ends when the scan does.
    const durations = PHASES.map((p) => {
      const state = this.phaseState(p);
      const took = secondsBetween(p.startedAt(s), p.endedAt(s) || s.completedAt);
      const name = p.title.toLowerCase();
      if (state === 'done') return took != null ? `${name} ${formatSeconds(took)}` : `${name} done`;
      if (state === 'stopped') return `${name} stopped${took != null ? ` after ${formatSeconds(took)}` : ''}`;
      if (state === 'skipped') return `${name}: none`;
      return `${name}: not reached`;
    });
    const total = secondsBetween(s.startedAt, s.completedAt);
    const kind = this.kind();
    const row = (field, label, value) => h('li', { dataset: { field } }, h('span', {}, label), ' ', h('strong', {}, value));
    const tracks = `${formatCount(s.tracksFound)} (${formatCount(s.tracksNew)} new, ${formatCount(s.tracksUpdated)} updated, ${formatCount(s.tracksRemoved)} removed)`;
    const items = [
      s.tracksFound || kind !== 'movie' ? row('tracksFound', 'Tracks found:', tracks) : null,
      s.moviesFound || kind === 'movie' ? row('moviesFound', 'Movies found:', `${formatCount(s.moviesFound)} (${formatCount(s.moviesNew)} new, ${formatCount(s.moviesUpdated)} updated)`) : null,
      row('directoriesScanned', 'Directories scanned:', `${formatCount(s.directoriesScanned)} of ${formatCount(s.directoriesTotal)}`),
      s.assetsQueued || kind === 'movie' ? row('assetsCached', 'Assets cached:', `${formatCount(s.assetsCached)} of ${formatCount(s.assetsQueued)}` +
        `${s.assetsFailed ? ` (${formatCount(s.assetsFailed)} failed)` : ''}`) : null,
      s.enrichmentQueued ? row('enrichmentCompleted', 'Enriched:', `${formatCount(s.enrichmentCompleted)} (${formatCount(s.enrichmentSkipped)} skipped, ${formatCount(s.enrichmentFailed)} failed)`) : null,
      row('errorsCount', 'Errors:', formatCount(s.errorsCount)),
      row('duration', 'Duration:', `${formatSeconds(total) || '–'} (${durations.join(', ')})`),
      s.completedAt ? row('completedAt', 'Finished at:', formatTime(s.completedAt)) : null,
    ];
    const heading = s.status === 'completed' ? '✓ Summary' : s.status === 'cancelled' ? 'Cancelled: what was done' : 'Failed: what was done';
    this.summary.replaceChildren(h('h4', {}, heading), h('ul', {}, items));
  }
}

/**
 * The scans panel: `container` holds one ScanView per scan shown. `connectionFor()` returns the
 * /hubs/progress HubConnection (or null while disconnected); `libraryType(id)` "music" or
 * "movie" for a library id (the libraries panel's listing), which picks the words shown.
 */
export class ScansPanel {
  constructor(container, { connectionFor, onScanEnded = () => {}, libraryType = () => undefined }) {
    this.container = container;
    this.libraryType = libraryType;
    this.connectionFor = connectionFor;
    this.onScanEnded = onScanEnded;
    this.views = new Map();
    this.empty = h('p', { className: 'muted empty' }, 'No scan is running. Start one from a library above.');
    // One polite live region for the whole panel: phase changes and endings, not every count.
    this.announcer = h('p', { id: 'scan-announcer', className: 'visually-hidden', attrs: { role: 'status' } });
    container.append(this.empty, this.announcer);
    setInterval(() => this.tick(), 1000);
  }

  /** Once a second: elapsed-time figures move on, and the tab's title shows the newest scan. */
  tick() {
    let title = 'scanhub';
    for (const view of this.views.values()) {
      if (view.ended) continue;
      if (view.ending) view.refresh();
      view.render();
      const phase = PHASES.find((p) => p.key === view.state.status);
      if (phase) {
        const { done, total } = phase.progress(view.state);
        title = `${total ? `${percent(done, total)}% ` : ''}${phase.title.toLowerCase()} · scanhub`;
      }
    }
    document.title = title;
  }

  /** Scan `id` ended as `scan`: its view stops fetching (see ScanView.settle). */
  async settle(id, scan) {
    await this.views.get(String(id))?.settle(scan);
  }

  /** Library `libraryId` is about to be removed, and its scans with it: their views stop fetching. */
  async detachLibrary(libraryId) {
    await Promise.all([...this.views.values()].filter((v) => v.covers(libraryId)).map((v) => v.detach()));
  }

  newView(id) {
    return new ScanView(id, { onCancel: (v) => this.cancel(v), onDismiss: (v) => this.dismiss(v),
      announce: (text) => { this.announcer.textContent = text; }, libraryType: this.libraryType });
  }

  /** Client methods of /hubs/progress. */
  handlers() {
    const progress = (p) => this.views.get(String(p.scanId))?.applyHub(p);
    return {
      ScanProgress: progress,
      EmbeddingProgress: progress,
      IndexingCompleted: (id) => this.views.get(String(id))?.refresh(),
      EmbeddingCompleted: (id) => this.views.get(String(id))?.refresh(),
      ScanCompleted: (id, summary) => this.ended(id, 'completed', { summary }),
      ScanFailed: (id, reason) => this.ended(id, reason === 'Scan cancelled' ? 'cancelled' : 'failed', { reason }),
    };
  }

  ended(id, status, detail) {
    const view = this.views.get(String(id));
    if (!view) return;
    const was = view.ended;
    view.finish(status, detail);
    if (!was) this.onScanEnded(view.id);
  }

  /**
   * Shows scan `id` (a no-op when shown) and subscribes to it; `dto` (a ScanProgressDto from
   * GetActiveScans or GetScanProgress) renders it at once, before any event arrives.
   */
  async watch(id, dto = null) {
    id = String(id);
    let view = this.views.get(id);
    if (!view) {
      view = this.newView(id);
      this.views.set(id, view);
      this.container.prepend(view.el);
      this.empty.hidden = true;
    }
    if (dto) view.applyHub(dto);
    view.render();
    const connection = this.connectionFor();
    if (connection) {
      try {
        await connection.invoke('SubscribeToScan', id);
      } catch (err) {
        console.warn(`SubscribeToScan(${id}): ${err.message}`);
      }
    }
    view.fetch();
    return view;
  }

  /** After every (re)connect: every active scan at once, then each one's subscription. */
  async resync(connection, extraIds = []) {
    const active = await connection.invoke('GetActiveScans');
    // Render all of them before subscribing to any, so the page is complete at once.
    for (const dto of active) this.render(dto);
    const ids = new Set([...active.map((d) => String(d.scanId)), ...extraIds.map(String)]);
    for (const [id, view] of this.views) if (!view.ended) ids.add(id);
    for (const id of ids) {
      if (!active.some((d) => String(d.scanId) === id) && !this.views.has(id)) {
        const dto = await connection.invoke('GetScanProgress', id);
        if (!dto) continue;
        this.render(dto);
      }
    }
    await Promise.all([...ids].filter((id) => this.views.has(id)).map((id) => this.watch(id)));
  }

  render(dto) {
    const id = String(dto.scanId);
    if (!this.views.has(id)) {
      const view = this.newView(id);
      this.views.set(id, view);
      this.container.prepend(view.el);
      this.empty.hidden = true;
    }
    this.views.get(id).applyHub(dto);
  }

  async cancel(view) {
    view.cancel.disabled = true;
    view.cancel.textContent = 'Cancelling…';
    try {
      await api('POST', `/api/scans/${view.id}/cancel`);
    } catch (err) {
      view.cancel.disabled = false;
      view.cancel.textContent = 'Cancel scan';
      view.headline.textContent = `Cannot cancel: ${err.message}`;
    }
  }

  dismiss(view) {
    this.views.delete(view.id);
    view.el.remove();
    this.connectionFor()?.invoke('UnsubscribeFromScan', view.id).catch(() => {});
    this.empty.hidden = this.views.size > 0;
    if (new URLSearchParams(location.search).get('scan') === view.id) history.replaceState(null, '', location.pathname);
  }
}
