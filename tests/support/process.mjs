// Child processes of the node tests: cove (serve, forge) or a peer, started and waited for until
// it says it is listening, and stopped again; temporary directories for their homes.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The cove binary under test (CTest passes it in the environment).
export const coveBin = process.env.COVE_BIN;
if (!coveBin) throw new Error('COVE_BIN must name the cove binary');

// What `cove serve` and `cove forge` print once they accept connections; [1] is the base URL.
export const listeningOn = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

export function tempDir(prefix = 'cove-test-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}

// Starts `cmd args` (with `env` added to this process's environment) and resolves with
// { proc, match, output } once its stdout or stderr matches `ready`; rejects, with what it
// printed, when it exits first or is not ready within `timeoutMs`.
export function startProcess(cmd, args, { env = {}, ready = listeningOn, timeoutMs = 20000 } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${cmd} ${args.join(' ')} did not start: ${out}`)), timeoutMs);
    const onData = (d) => {
      out += d;
      const m = out.match(ready);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, match: m, output: () => out });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited (${code}): ${out}`));
    });
  });
}

// Sends `signal` and resolves once the process has exited (at once if it already has).
export function stopProcess(proc, signal = 'SIGTERM') {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.removeAllListeners('exit');
    proc.on('exit', () => resolve());
    proc.kill(signal);
  });
}
