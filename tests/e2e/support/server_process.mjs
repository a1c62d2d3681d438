// Starting and stopping a server binary for a test: spawn it, read the port it prints on
// stdout, stop it with SIGTERM and report its exit code. Every wait is bounded.
import { spawn } from 'node:child_process';

/** Rejects after `ms` with `label` unless `promise` settles first. */
export function withTimeout(promise, ms, label) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${label}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Spawns `binary` with `args`; resolves once a line of stdout matches `portPattern` (first
 * group = port). stdin stays a pipe: the server exits on EOF if this process dies. `stderr`:
 * 'inherit' (the test's own stderr) or 'pipe' (read it from child.stderr, e.g. to count log
 * lines).
 */
export async function startServer(binary, args = [], { portPattern = /^(\d+)\s*$/m, timeoutMs = 10000, stderr = 'inherit' } = {}) {
  if (!binary) throw new Error('server binary not set (run through ctest, or set HUB_TEST_SERVER)');
  const child = spawn(binary, args, { stdio: ['pipe', 'pipe', stderr] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let output = '';
  const port = await withTimeout(new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk.toString();
      const match = output.match(portPattern);
      if (match) resolve(Number(match[1]));
    });
    child.once('error', reject);
    exited.then(({ code, signal }) => reject(new Error(`server exited early (code ${code}, signal ${signal})`)));
  }), timeoutMs, `${binary} to print its port`);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    exited,
    /** SIGTERM, then the exit status ({code, signal}); SIGKILL if it does not exit in time. */
    async stop(ms = 10000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      try {
        return await withTimeout(exited, ms, 'server to exit after SIGTERM');
      } catch (e) {
        child.kill('SIGKILL');
        throw e;
      }
    },
  };
}
