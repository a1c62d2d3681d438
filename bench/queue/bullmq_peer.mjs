// The BullMQ side of queue-bench (see BENCHMARKS.md, "bench/queue"): adds JOBS no-op jobs with
// addBulk in chunks of BATCH while one Worker at CONCURRENCY processes them, and prints one JSON
// line: {"jobs", "seconds" (first add to last completion), "cpuSeconds" (this process),
// "completed" (BullMQ's own count afterwards)}. Redis is started by queue-bench.
//
//   node bench/queue/bullmq_peer.mjs PORT JOBS CONCURRENCY BATCH
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

// BullMQ 6 loads its Redis client, the optional peer dependency ioredis, on first use; say so
// in one line when it is missing instead of BullMQ's stack traces.
const require = createRequire(import.meta.url);
try {
  require.resolve('ioredis', { paths: [require.resolve('bullmq')] });
} catch {
  console.error('bullmq_peer: BullMQ needs the npm package ioredis (>= 5), which is not installed');
  process.exit(3);
}
const { Queue, Worker } = await import('bullmq');

const [port, jobs, concurrency, batch] = process.argv.slice(2).map(Number);
if (!(port > 0 && jobs > 0 && concurrency > 0 && batch > 0)) {
  console.error('usage: bullmq_peer.mjs PORT JOBS CONCURRENCY BATCH');
  process.exit(2);
}
// maxRetriesPerRequest: null is what BullMQ requires of a Worker's connection.
const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
const name = `bench-${process.pid}`;
const queue = new Queue(name, { connection });

let completed = 0;
let failed = 0;
let finishedAt = 0;
let resolveDone;
const done = new Promise((resolve) => { resolveDone = resolve; });
const worker = new Worker(name, async () => {}, { connection, concurrency });
worker.on('completed', () => {
  if (++completed === jobs) {
    finishedAt = performance.now();
    resolveDone();
  }
});
worker.on('failed', (_job, error) => {
  ++failed;
  console.error(`bullmq job failed: ${error?.message}`);
});
worker.on('error', (error) => console.error(`bullmq worker error: ${error?.message}`));

await queue.waitUntilReady();
await worker.waitUntilReady();

const cpuBefore = process.cpuUsage();
const startedAt = performance.now();
for (let first = 0; first < jobs; first += batch) {
  const count = Math.min(batch, jobs - first);
  await queue.addBulk(Array.from({ length: count }, (_, i) => ({ name: 'noop', data: { n: first + i } })));
}
const timeout = setTimeout(() => {
  console.error(`bullmq: only ${completed} of ${jobs} completed after 300 s`);
  process.exit(1);
}, 300_000);
await done;
clearTimeout(timeout);
const cpu = process.cpuUsage(cpuBefore);

const counts = await queue.getJobCounts('completed', 'failed');
console.log(JSON.stringify({
  jobs,
  seconds: (finishedAt - startedAt) / 1000,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  completed: counts.completed,
  failed: counts.failed + failed,
}));
await worker.close();
await queue.obliterate({ force: true });
await queue.close();
process.exit(0);
