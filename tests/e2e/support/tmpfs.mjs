// A small tmpfs for a test that needs a full disk (issue 14's storage faults): mounted with
// mount(8), which needs root (CI runs the tests as root). Without it the test fails with a
// message that says so, rather than skipping silently. Every mount is undone by unmountAll(),
// which the test's after() calls, and again on process exit whatever happened.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const mounts = [];

/** Mounts a tmpfs of `size` (mount's syntax: '16m', '16k') at `path`, made if missing. */
export function mountTmpfs(path, size) {
  mkdirSync(path, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`this test needs to mount a tmpfs (run it as root, as CI does): ${e.stderr || e.message}`);
  }
  mounts.push(path);
}

/** Unmounts every tmpfs mounted here, newest first; a busy one is detached (umount -l). */
export function unmountAll() {
  while (mounts.length > 0) {
    const path = mounts.pop();
    try {
      execFileSync('umount', [path], { stdio: 'ignore' });
    } catch {
      execFileSync('umount', ['-l', path], { stdio: 'ignore' });
    }
  }
}

process.on('exit', () => {
  try {
    unmountAll();
  } catch {
    // Nothing more can be done on the way out.
  }
});

/** Fills the file system holding `directory` with a file, leaving `leftBytes` free. Returns
 * the filler's path: delete it to give the space back. */
export function fillDisk(directory, leftBytes) {
  const { bavail, bsize } = statfsSync(directory);
  const filler = join(directory, 'filler');
  writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - leftBytes)));
  return filler;
}
