// The server's storage state (GET /healthz, issue 14). While the job queue is paused because
// the database cannot be written (a full disk, a disk error), or after it met a damaged
// database file, a banner says so with the server's reason: the scan bars stop moving and a
// person should know why and what to do. Scans paused this way go on by themselves once the
// database can be written again; the banner then goes away.
import { $ } from './dom.js';

export class StorageBanner {
  constructor(root) {
    this.root = root;
  }

  async refresh() {
    let health;
    try {
      // 503 is an answer here (degraded), not an error: read its body either way.
      const response = await fetch('/healthz', { headers: { accept: 'application/json' } });
      health = await response.json();
    } catch {
      return;  // unreachable: the connection banner already says so
    }
    this.show(health);
  }

  show(health) {
    const state = health?.status === 'degraded' ? health.storage || 'paused' : 'ok';
    this.root.dataset.storage = state;
    if (state === 'ok') {
      this.root.hidden = true;
      return;
    }
    const paused = state === 'paused';
    $('.storage-title', this.root).textContent = paused ? 'Scans are paused.' : 'The database is damaged.';
    const reason = String(health.reason || 'the database cannot be written');
    $('.storage-reason', this.root).textContent = `${reason.charAt(0).toUpperCase()}${reason.slice(1)}.`;
    const retry = health.retryAt ? new Date(health.retryAt) : null;
    $('.storage-next', this.root).textContent = paused
      ? `They go on by themselves once it can be written again${retry ? ` (next try at ${retry.toLocaleTimeString()})` : ''}.`
      : '';
    this.root.hidden = false;
  }
}
