// The dashboard shows one consistent state (issue 15 item 3): sampled every 100 ms while a movie
// scan and then a music scan run, as a person glancing at it would see it at any moment:
// - no phase card says "done" while its count is below its total;
// - every bar's width is the percentage its numbers give (the width a person sees, not only
//   the style), and the "(NN%)" beside it says the same;
// - no completed job is listed among the active ones, and a job listed under "Active jobs" and
//   "Recent jobs" has one status;
// - the queue counters equal the lists (rows shown plus the "and N more" they count).
// Real `scanhub serve` with its embedded page, libraries made by make-library, Debian's Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, openPage, saveScreenshot } from './support/browser.mjs';
import { api, assertNoConsoleErrors, makeLibrary, serve, until, tearDown } from './support/dashboard.mjs';

let dir;
let movies;
let music;
let server;
let browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-dashboard-consistency-'));
  movies = makeLibrary(join(dir, 'movies'), { movies: 12, seed: 8 });
  music = makeLibrary(join(dir, 'music'), { tracks: 150, seed: 9 });
  // Each directory waits 120 ms on one worker: a few seconds per scan, many samples.
  server = await serve(dir, { delayMs: 120 });
  browser = await launchChromium();
});

after(() => tearDown({ browser, server, dir }));

// What the page shows at one moment, read in one task (no render can run in between).
function sample() {
  const number = (text) => Number(String(text).replace(/[^\d]/g, '') || NaN);
  const phases = [...document.querySelectorAll('article.scan li.phase')].map((card) => {
    const bar = card.querySelector('[role=progressbar]');
    const fill = bar.querySelector('.fill');
    const barBox = bar.getBoundingClientRect();
    return {
      scan: card.closest('article.scan').dataset.scanId,
      phase: card.dataset.phase,
      state: card.dataset.state,
      now: bar.hasAttribute('aria-valuenow') ? Number(bar.getAttribute('aria-valuenow')) : null,
      max: bar.hasAttribute('aria-valuemax') ? Number(bar.getAttribute('aria-valuemax')) : null,
      idle: bar.classList.contains('idle'),
      indeterminate: bar.classList.contains('indeterminate'),
      styleWidth: fill.style.width,
      shownRatio: barBox.width > 0 ? fill.getBoundingClientRect().width / barBox.width : null,
      count: card.querySelector('.count').textContent,
    };
  });
  const stat = (name) => number(document.querySelector(`[data-stat=${name}] .stat-value`).textContent);
  const more = (list, key) => Number(document.querySelector(`${list} li.more`)?.dataset[key] || 0);
  return {
    at: Date.now(),
    phases,
    stats: { pending: stat('pending'), processing: stat('processing'), failed: stat('failed') },
    // A row's status as it reads: "queued ..." for a waiting job, else the status first.
    active: [...document.querySelectorAll('#active-jobs li.job')].map((li) => {
      const text = li.querySelector('.job-status').textContent;
      return { id: li.dataset.jobId, status: text.startsWith('queued') ? 'pending' : text.split(' ')[0] };
    }),
    moreProcessing: more('#active-jobs', 'moreProcessing'),
    morePending: more('#active-jobs', 'morePending'),
    failedRows: document.querySelectorAll('#failed-jobs li.job').length,
    moreFailed: more('#failed-jobs', 'moreFailed'),
    recent: [...document.querySelectorAll('#recent-jobs tr[data-job-id]')].map((tr) => ({
      id: tr.dataset.jobId, status: tr.children[1].textContent,
    })),
    loaded: document.querySelector('[data-stat=pending] .stat-value').textContent !== '–',
  };
}

// format.js percent(): whole, floored, 100 only when done reaches total.
const percent = (done, total) => (!total || total <= 0 ? 0 : done >= total ? 100 : Math.min(99, Math.floor((done * 100) / total)));

function violations(s) {
  const out = [];
  for (const p of s.phases) {
    const where = `scan ${p.scan} ${p.phase}`;
    if (p.state === 'done' && p.now !== null && p.max !== null && p.now < p.max) {
      out.push(`${where}: "done" at ${p.now} / ${p.max}`);
    }
    const counted = /^([\d,.\s]+) \/ ([\d,.\s]+) \((\d+)%\)/.exec(p.count);
    if (p.state === 'done' && counted && Number(counted[1].replace(/\D/g, '')) < Number(counted[2].replace(/\D/g, ''))) {
      out.push(`${where}: "done" beside "${p.count}"`);
    }
    if (p.idle || p.indeterminate || p.max === null || p.now === null) continue;
    const pct = percent(p.now, p.max);
    const width = parseFloat(p.styleWidth);
    if (!(Math.abs(width - pct) < 1)) out.push(`${where}: bar width ${p.styleWidth} for ${p.now} / ${p.max} (${pct}%)`);
    if (p.shownRatio !== null && !(Math.abs(p.shownRatio * 100 - pct) < 1)) {
      out.push(`${where}: bar shown at ${(p.shownRatio * 100).toFixed(1)}% for ${p.now} / ${p.max} (${pct}%)`);
    }
    if (counted && Number(counted[3]) !== pct) out.push(`${where}: text "${p.count}" beside a bar at ${pct}%`);
  }
  if (!s.loaded) return out;
  const byStatus = (status) => s.active.filter((j) => j.status === status).length;
  for (const job of s.active) {
    if (job.status !== 'pending' && job.status !== 'processing') out.push(`job ${job.id} listed as active while ${job.status}`);
    const recent = s.recent.find((r) => r.id === job.id);
    if (recent && recent.status !== job.status) out.push(`job ${job.id}: ${job.status} among active jobs, ${recent.status} among recent ones`);
  }
  if (byStatus('processing') + s.moreProcessing !== s.stats.processing) {
    out.push(`processing counter ${s.stats.processing}, listed ${byStatus('processing')} + ${s.moreProcessing} more`);
  }
  if (byStatus('pending') + s.morePending !== s.stats.pending) {
    out.push(`pending counter ${s.stats.pending}, listed ${byStatus('pending')} + ${s.morePending} more`);
  }
  if (s.failedRows + s.moreFailed !== s.stats.failed) {
    out.push(`failed counter ${s.stats.failed}, listed ${s.failedRows} + ${s.moreFailed} more`);
  }
  return out;
}

// Adds `library` of `type` (which starts its scan) and samples the page every 100 ms until the
// scan shows as completed; returns the samples and what they broke.
async function sampleScan(page, library, type) {
  const added = await api(server, 'POST', '/api/libraries', { path: library.path, type });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const { scanId } = added.body;
  const samples = [];
  const deadline = Date.now() + 60000;
  for (;;) {
    const s = await page.evaluate(sample);
    samples.push(s);
    const ended = await page.locator(`article.scan[data-scan-id="${scanId}"][data-status=completed]`).count();
    if (ended) break;
    if (Date.now() > deadline) throw new Error(`scan ${scanId} did not show as completed in 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // A last look once the queue has settled: the counters and lists agree at rest too.
  await until(async () => (await api(server, 'GET', '/api/queue/stats')).body.pending === 0, 'the queue is idle');
  await until(async () => (await page.evaluate(sample)).stats.pending === 0, 'the page shows the idle queue');
  samples.push(await page.evaluate(sample));
  const broken = samples.flatMap((s) => violations(s).map((v) => `+${s.at - samples[0].at} ms: ${v}`));
  const states = new Set(samples.flatMap((s) => s.phases.filter((p) => p.scan === scanId && p.state === 'running').map((p) => p.phase)));
  return { scanId, samples, broken, states };
}

test('one consistent state on the dashboard through a movie scan and a music scan', { timeout: 110000 }, async () => {
  const { page, problems } = await openPage(browser, server.url);
  await page.locator('#connection[data-state=connected]').waitFor();

  const movie = await sampleScan(page, movies, 'movie');
  await saveScreenshot(page, 'dashboard-consistency-movies');
  const song = await sampleScan(page, music, 'music');
  await saveScreenshot(page, 'dashboard-consistency-music');

  for (const [name, run] of [['movie', movie], ['music', song]]) {
    assert.ok(run.samples.length >= 10, `${name} scan: sampled ${run.samples.length} times`);
    assert.ok(run.states.has('scanning'), `${name} scan: seen while scanning (${[...run.states]})`);
    assert.deepEqual(run.broken.slice(0, 12), [], `${name} scan: ${run.broken.length} inconsistencies in ${run.samples.length} samples`);
  }
  assert.ok(movie.states.has('caching') || movie.samples.some((s) => s.phases.some((p) => p.phase === 'caching' && p.state === 'done')),
            'the movie scan cached its assets');
  assertNoConsoleErrors(problems);
  await page.close();
});
