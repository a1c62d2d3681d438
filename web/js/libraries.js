// The libraries panel: list (type, path, item counts, last scan), add (path and type, the
// server validates and says what is wrong), remove, "Scan" per library and "Scan all".
// REST: GET/POST /api/libraries, DELETE /api/libraries/{id}, POST /api/libraries/{id}/scan,
// POST /api/library/scan (api/library_routes.hpp, api/routes.hpp).
import { $, api, h } from './dom.js';
import { formatAgo, plural } from './format.js';

export class LibrariesPanel {
  /**
   * `root` holds the panel's markup (index.html); `onScanStarted(scanId)` shows a scan once a
   * button started it; `onScanSettled(scanId, scan)` (awaited) gives the final state of a scan
   * cancelled before its library is removed; `beforeRemove(libraryId)` (awaited) comes just
   * before a library is removed, which removes its scans too.
   */
  constructor(root, { onScanStarted, onScanSettled = async () => {}, beforeRemove = async () => {} }) {
    this.root = root;
    this.onScanStarted = onScanStarted;
    this.onScanSettled = onScanSettled;
    this.beforeRemove = beforeRemove;
    this.list = $('#library-list', root);
    this.message = $('#library-message', root);
    this.form = $('#add-library', root);
    this.scanAll = $('#scan-all', root);
    this.types = new Map();
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.add();
    });
    this.scanAll.addEventListener('click', () => this.run(this.scanAll, async () => {
      const { scanId } = await api('POST', '/api/library/scan');
      this.say(`Scan ${scanId} started.`);
      await this.onScanStarted(scanId);
    }));
  }

  say(text, isError = false) {
    this.message.textContent = text;
    this.message.classList.toggle('error', isError);
  }

  /** Runs `work` with `button` disabled, showing a failure in the message line. */
  async run(button, work) {
    button.disabled = true;
    try {
      await work();
    } catch (err) {
      this.say(err.message, true);
    } finally {
      button.disabled = false;
      this.refresh();
    }
  }

  async add() {
    const data = new FormData(this.form);
    const body = { path: String(data.get('path') || '').trim(), type: String(data.get('type') || '') };
    const name = String(data.get('name') || '').trim();
    if (name) body.name = name;
    const button = $('button[type=submit]', this.form);
    await this.run(button, async () => {
      const library = await api('POST', '/api/libraries', body);
      this.form.reset();
      this.say(`Added ${library.name}${library.scanId ? `; scan ${library.scanId} started` : ''}` +
               `${library.scanError ? ` (not scanned: ${library.scanError})` : ''}.`);
      if (library.scanId) await this.onScanStarted(library.scanId);
    });
    if (this.message.classList.contains('error')) $('#library-path', this.form).focus();
  }

  /**
   * Cancels scan `scanId` and resolves once it has ended (at most 30 s) and the scans panel has
   * its final state; throws if it does not end.
   */
  async cancelAndWait(scanId, name) {
    this.say(`Cancelling scan ${scanId} before removing ${name}…`);
    try {
      await api('POST', `/api/scans/${scanId}/cancel`);
    } catch (err) {
      // 409: it ended on its own meanwhile; anything else is worth showing.
      if (err.status !== 409) throw err;
    }
    const deadline = Date.now() + 30000;
    for (;;) {
      const scan = await api('GET', `/api/scans/${scanId}`);
      if (['completed', 'failed', 'cancelled'].includes(scan.status)) {
        await this.onScanSettled(scanId, scan);
        return;
      }
      if (Date.now() > deadline) throw new Error(`scan ${scanId} is still stopping; ${name} was not removed, try again`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** "music" or "movie" for a library id seen in the last listing; undefined otherwise. */
  typeOf(id) {
    return this.types.get(String(id));
  }

  async refresh() {
    let libraries;
    try {
      libraries = await api('GET', '/api/libraries');
    } catch (err) {
      this.list.replaceChildren(h('li', { className: 'error' }, `Cannot list libraries: ${err.message}`));
      return;
    }
    this.types = new Map(libraries.map((l) => [String(l.id), l.type]));
    this.scanAll.disabled = !libraries.some((l) => l.type === 'music');
    this.scanAll.title = this.scanAll.disabled ? 'Add a music library first' : 'Scan every music library';
    if (!libraries.length) {
      this.list.replaceChildren(h('li', { className: 'muted' }, 'No library yet: add a folder of music or movies below.'));
      return;
    }
    this.list.replaceChildren(...libraries.map((library) => this.row(library)));
  }

  row(library) {
    const items = library.type === 'movie' ? plural(library.movieCount, 'movie') : plural(library.trackCount, 'track');
    const last = library.lastScan;
    const lastText = library.activeScanId ? `scan ${library.activeScanId} running`
      : last ? `last scan ${last.status}${last.completedAt ? ` ${formatAgo(last.completedAt)}` : ''}`
        + `${last.errorsCount ? `, ${plural(last.errorsCount, 'error')}` : ''}`
        : 'never scanned';
    const watched = library.watched ? h('span', { className: 'watched', title: 'New and changed files are scanned on their own' },
      ' · watching for changes') : null;
    const scan = h('button', { type: 'button', textContent: 'Scan', attrs: { 'aria-label': `Scan ${library.name}` } });
    scan.disabled = Boolean(library.activeScanId);
    scan.addEventListener('click', () => this.run(scan, async () => {
      const { scanId } = await api('POST', `/api/libraries/${library.id}/scan`);
      this.say(`Scan ${scanId} of ${library.name} started.`);
      await this.onScanStarted(scanId);
    }));
    const remove = h('button', { type: 'button', className: 'secondary', textContent: 'Remove',
      attrs: { 'aria-label': `Remove ${library.name}` } });
    remove.addEventListener('click', () => {
      // Removing forgets what was scanned (files on disk stay); ask first. The server refuses
      // (409) while a scan covers the library, so a running scan is cancelled first, with the
      // person's consent, and the removal waits for it to end.
      const scanning = library.activeScanId;
      const question = scanning
        ? `Scan ${scanning} is scanning "${library.name}" now. Cancel that scan and remove the library? ` +
          `Its ${items} are forgotten; files on disk stay.`
        : `Remove the library "${library.name}"? Its ${items} are forgotten; files on disk stay.`;
      if (!window.confirm(question)) return;
      this.run(remove, async () => {
        if (scanning) await this.cancelAndWait(scanning, library.name);
        await this.beforeRemove(library.id);
        await api('DELETE', `/api/libraries/${library.id}`);
        this.say(scanning ? `Cancelled scan ${scanning} and removed ${library.name}.` : `Removed ${library.name}.`);
      });
    });
    return h('li', { className: 'library', dataset: { libraryId: String(library.id), type: library.type } },
      h('div', { className: 'library-main' },
        h('strong', { className: 'library-name' }, library.name), ' ',
        h('span', { className: 'badge' }, library.type), ' ',
        h('code', { className: 'library-path' }, library.path)),
      h('div', { className: 'library-meta muted' },
        h('span', { className: 'library-count' }, items), library.activeScanId ? ' so far' : '', ' · ', h('span', { className: 'library-last' }, lastText), watched),
      h('div', { className: 'actions' }, scan, remove));
  }
}
