// Issue 5's acceptance for progress: the official @microsoft/signalr client watches both phases
// of a real `scanhub serve` music scan (embeddings on by default) to completion. The library is
// made here by ffmpeg: eight tracks of 61-70 s (tones and noise, low-bitrate MP3 and Ogg Vorbis)
// and two of 5 s, which seed 000's 60-s minimum skips (from their stored duration: no job).
// Checked: /hubs/progress events in seed 000's order (ScanProgress while indexing,
// IndexingCompleted, EmbeddingProgress with counts that only grow, EmbeddingCompleted,
// ScanCompleted last) with totals that add up; /hubs/indexer's seed-001 ScanProgress reaching
// 100/100 with every track accounted for; then GET /api/tracks/{id}/similar for the tracks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { startServer, withTimeout } from './support/server_process.mjs';
import { assertShape, INDEXER_SCAN_PROGRESS, SCAN_PROGRESS_DTO, SCAN_SUMMARY_DTO } from './support/seed_payloads.mjs';

const require = createRequire(import.meta.url);
const signalR = require('@microsoft/signalr');
const run = promisify(execFile);

const ISO_DURATION = /^PT(\d+H)?(\d+M)?(\d+(\.\d+)?S)?$/;
const LONG = 8;
const SHORT = 2;
const TOTAL = LONG + SHORT;

let dir;
let library;
let server;

/** Seconds of an ISO 8601 duration as scanhub writes them (PT1H2M3.5S). */
function seconds(iso) {
  const m = iso.match(ISO_DURATION);
  assert.ok(m, `ISO 8601 duration: ${iso}`);
  const [h, min, s] = iso.match(/^PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$/).slice(1).map((v) => Number(v ?? 0));
  return h * 3600 + min * 60 + s;
}

/** One mono 22,050 Hz file of `duration` s from a lavfi source, at a low bitrate (fast to make). */
async function makeTrack(path, source, duration) {
  const codec = path.endsWith('.ogg') ? ['-c:a', 'libvorbis', '-q:a', '0'] : ['-c:a', 'libmp3lame', '-b:a', '32k'];
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'lavfi', '-i', source,
    '-t', String(duration), '-ac', '1', '-ar', '22050', ...codec, '-y', path]);
}

function connect(path) {
  return new signalR.HubConnectionBuilder()
    .withUrl(`${server.url}${path}`)
    .configureLogging(signalR.LogLevel.Warning)
    .build();
}

/** Records the named events of one connection, and waits for conditions on them. */
function record(connection, names) {
  const log = [];
  let wake = () => {};
  for (const name of names) connection.on(name, (...args) => { log.push({ name, args }); wake(); });
  log.until = (predicate, label, ms = 40000) => withTimeout(new Promise((resolve) => {
    const check = () => { const hit = log.find(predicate); if (hit) resolve(hit); else wake = check; };
    check();
  }), ms, label);
  return log;
}

function assertNonDecreasing(items, key, label) {
  for (let i = 1; i < items.length; i += 1) {
    assert.ok(items[i][key] >= items[i - 1][key], `${label}.${key} went from ${items[i - 1][key]} to ${items[i][key]}`);
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scanhub-embed-e2e-'));
  library = join(dir, 'music');
  const tones = join(library, 'Tones');
  const noise = join(library, 'Noise');
  const shorts = join(library, 'Shorts');
  for (const d of [tones, noise, shorts]) mkdirSync(d, { recursive: true });
  const made = [];
  for (let i = 0; i < LONG / 2; i += 1) {
    made.push(makeTrack(join(tones, `tone-${i + 1}.mp3`), `sine=frequency=${220 * (i + 1)}:sample_rate=22050`, 61 + i));
    const color = ['white', 'pink', 'brown', 'violet'][i];
    made.push(makeTrack(join(noise, `${color}.ogg`), `anoisesrc=color=${color}:sample_rate=22050:seed=${i + 1}`, 65 + i));
  }
  for (let i = 0; i < SHORT; i += 1) {
    made.push(makeTrack(join(shorts, `jingle-${i + 1}.mp3`), `sine=frequency=${330 + 110 * i}:sample_rate=22050`, 5));
  }
  await withTimeout(Promise.all(made), 20000, 'ffmpeg to make the library');

  // Each directory takes 300 ms, so a client subscribing after the POST sees indexing too.
  server = await startServer(process.env.SCANHUB_BIN, [
    'serve', '--port', '0', '--db', join(dir, 'scanhub.db'), '--library', library, '--no-watch',
    '--directory-delay-for-test', '300',
  ], { portPattern: /serving http:\/\/[^:]+:(\d+)\// });
});

after(async () => {
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, 'scanhub serve exits 0 on SIGTERM');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('both phases of a music scan are watched to completion with counts that add up', { timeout: 60000 }, async () => {
  const progressConnection = connect('/hubs/progress');
  const indexerConnection = connect('/hubs/indexer');
  const events = record(progressConnection, ['ScanProgress', 'IndexingCompleted', 'EmbeddingProgress',
    'EmbeddingCompleted', 'ScanCompleted', 'ScanFailed']);
  const indexer = record(indexerConnection, ['ScanProgress']);
  await Promise.all([progressConnection.start(), indexerConnection.start()]);

  try {
    const response = await fetch(`${server.url}/api/library/scan`, { method: 'POST' });
    assert.equal(response.status, 200);
    const { scanId } = await response.json();
    await withTimeout(progressConnection.invoke('SubscribeToScan', scanId), 5000, 'SubscribeToScan');

    const [, summary] = (await events.until((e) => e.name === 'ScanCompleted' || e.name === 'ScanFailed',
      'the end of the scan')).args;
    assert.equal(events.at(-1).name, 'ScanCompleted', `the scan completed: ${JSON.stringify(events.at(-1).args)}`);
    await indexer.until((e) => e.args[0].requestId === scanId && e.args[0].status === 'completed',
      'the last indexer ScanProgress', 5000);

    // Seed 000's order: ScanProgress (Indexing)..., IndexingCompleted, EmbeddingProgress...,
    // EmbeddingCompleted, ScanCompleted, and nothing after it.
    const names = events.map((e) => e.name);
    const indexingCompleted = names.indexOf('IndexingCompleted');
    const embeddingCompleted = names.indexOf('EmbeddingCompleted');
    assert.ok(names.indexOf('ScanProgress') === 0, `first a ScanProgress: ${names.join(',')}`);
    assert.ok(indexingCompleted > 0 && names.lastIndexOf('IndexingCompleted') === indexingCompleted, names.join(','));
    assert.ok(names.lastIndexOf('ScanProgress') < indexingCompleted, `no ScanProgress after IndexingCompleted: ${names.join(',')}`);
    assert.ok(embeddingCompleted > indexingCompleted && names.lastIndexOf('EmbeddingCompleted') === embeddingCompleted);
    assert.deepEqual(names.slice(embeddingCompleted), ['EmbeddingCompleted', 'ScanCompleted']);
    const between = names.slice(indexingCompleted + 1, embeddingCompleted);
    assert.ok(between.length >= 2 && between.every((n) => n === 'EmbeddingProgress'),
      `only EmbeddingProgress between the phases' ends: ${between.join(',')}`);
    for (const e of events.filter((x) => x.name === 'ScanProgress')) {
      assertShape(e.args[0], SCAN_PROGRESS_DTO, 'ScanProgress');
      assert.equal(e.args[0].phase, 'Indexing');
      assert.equal(e.args[0].embeddingsSkipped, null);
    }
    assert.deepEqual(events[indexingCompleted].args, [scanId, TOTAL]);
    assert.deepEqual(events[embeddingCompleted].args, [scanId]);

    // EmbeddingProgress: seed 000's fields, one total, counts that only grow, ETA as ISO 8601.
    const embedding = events.filter((e) => e.name === 'EmbeddingProgress').map((e) => e.args[0]);
    for (const p of embedding) {
      assertShape(p, SCAN_PROGRESS_DTO, 'EmbeddingProgress');
      assert.equal(p.scanId, scanId);
      assert.equal(p.phase, 'Embeddings');
      assert.equal(p.totalTracksForEmbedding, TOTAL, 'every track is accounted for, the skipped too');
      assert.ok(Number.isInteger(p.embeddingsInProgress) && p.embeddingsInProgress >= 0);
      // The built-in model runs one job per online CPU (std::thread::hardware_concurrency).
      assert.ok(p.embeddingsInProgress <= Math.max(1, cpus().length), `in progress ${p.embeddingsInProgress}`);
      assert.ok(p.embeddingsCompleted + p.embeddingsFailed <= TOTAL);
      assert.equal(p.embeddingsSkipped, SHORT, 'the short tracks are skipped as the phase begins');
      if (p.estimatedTimeRemaining !== null) seconds(p.estimatedTimeRemaining);
    }
    assertNonDecreasing(embedding, 'embeddingsCompleted', 'EmbeddingProgress');
    assertNonDecreasing(embedding, 'embeddingsFailed', 'EmbeddingProgress');
    assert.ok(embedding.slice(0, -1).every((p) => p.status === 'InProgress'));
    assert.ok(embedding.some((p) => p.embeddingsCompleted > 0 && p.embeddingsCompleted < LONG),
      'progress seen between the first and the last embedding');
    assert.ok(embedding.some((p) => p.estimatedTimeRemaining !== null && p.embeddingsCompleted < LONG),
      'an ETA while embeddings are left');
    if (cpus().length > 1) {
      assert.ok(embedding.some((p) => p.embeddingsInProgress > 0), 'tracks seen in progress');
    }
    const last = embedding.at(-1);
    assert.equal(last.status, 'Completed');
    assert.deepEqual([last.embeddingsCompleted, last.embeddingsFailed, last.embeddingsInProgress,
      last.estimatedTimeRemaining], [LONG, SHORT, 0, null]);

    // ScanCompleted: seed 000's summary; completed + failed (+ skipped, which seed 000 counts
    // among the failed) = the tracks indexed; both phases' durations.
    assertShape(summary, SCAN_SUMMARY_DTO, 'ScanCompleted summary');
    assert.equal(summary.totalTracksIndexed, TOTAL);
    assert.equal(summary.totalDirectoriesScanned, 3);
    assert.equal(summary.totalEmbeddingsGenerated, LONG);
    assert.equal(summary.embeddingsSkipped, SHORT);
    assert.equal(summary.embeddingsFailed, SHORT, 'nothing failed but the skipped');
    assert.equal(summary.totalEmbeddingsGenerated + summary.embeddingsFailed, summary.totalTracksIndexed);
    assert.ok(seconds(summary.indexingDuration) >= 0.3, `indexing took ${summary.indexingDuration}`);
    assert.ok(seconds(summary.embeddingDuration) > 0, `embedding took ${summary.embeddingDuration}`);
    assert.ok(seconds(summary.totalDuration) + 0.002 >=
      seconds(summary.indexingDuration) + seconds(summary.embeddingDuration), 'the phases fit in the scan');

    // Seed 001 on /hubs/indexer: tracksIndexed, embeddingsCompleted and both percentages, which
    // never go back, indexing reaching 100 before the embeddings, both 100 at the end.
    const ticks = indexer.filter((e) => e.args[0].requestId === scanId).map((e) => e.args[0]);
    for (const p of ticks) assertShape(p, INDEXER_SCAN_PROGRESS, 'indexer ScanProgress');
    for (const key of ['tracksIndexed', 'embeddingsCompleted', 'indexingProgress', 'embeddingProgress']) {
      assertNonDecreasing(ticks, key, 'indexer ScanProgress');
    }
    assert.ok(ticks.some((p) => p.indexingProgress === 100 && p.embeddingProgress < 100),
      'the indexing phase ends before the embedding phase');
    assert.ok(ticks.some((p) => p.embeddingProgress > 0 && p.embeddingProgress < 100), 'embedding progress in between');
    assert.deepEqual(ticks.at(-1), {
      requestId: scanId, tracksIndexed: TOTAL, embeddingsCompleted: TOTAL, totalTracks: TOTAL,
      indexingProgress: 100, embeddingProgress: 100, status: 'completed',
    });

    // Similar tracks: the eight embedded answer (the seven others, best first), the skipped do not.
    let answered = 0;
    for (let id = 1; id <= TOTAL; id += 1) {
      const res = await fetch(`${server.url}/api/tracks/${id}/similar?limit=3`);
      const body = await res.json();
      if (res.status === 404) {
        assert.match(body.error, /embedding/);
        continue;
      }
      assert.equal(res.status, 200, JSON.stringify(body));
      answered += 1;
      assert.equal(body.trackId, id);
      assert.equal(body.similar.length, 3);
      for (const s of body.similar) {
        assert.notEqual(s.trackId, id);
        assert.ok(s.path.startsWith(library) && !s.path.includes('/Shorts/'), s.path);
        assert.ok(s.score >= -1 && s.score <= 1);
      }
      assert.ok(body.similar[0].score >= body.similar[2].score, 'best first');
    }
    assert.equal(answered, LONG);
  } finally {
    await Promise.all([progressConnection.stop(), indexerConnection.stop()]);
  }
});
