// Starts `cove serve` on a free loopback port with a fresh home, for the SDK tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';

export const coveBin = process.env.COVE_BIN;
if (!coveBin) throw new Error('COVE_BIN must name the cove binary');

export function tempHome() {
  return mkdtempSync(join(tmpdir(), 'cove-api-test-'));
}

// A scripted model whose every turn just ends (the API tests are about the API, not the agent).
export const endTurnScript = join(dirname(fileURLToPath(import.meta.url)), 'end_turn_script.json');

// Resolves once the daemon prints its address. `home` is reused across restarts. The daemon
// runs offline (nothing but loopback is ever contacted) with the end-turn script as its model.
export function startServer({ home = tempHome(), apiKey = 'sk-test-key', extra = [] } = {}) {
  return new Promise((resolve, reject) => {
    const args = ['serve', '--listen', '127.0.0.1:0', '--home', home, '--api-key', apiKey, '--offline', '--model-script', endTurnScript, ...extra];
    const proc = spawn(coveBin, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stderr.on('data', (d) => (err += d));
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve({ proc, home, apiKey, baseURL: m[1], output: () => out + err, stop: () => stop(proc) });
    });
    proc.on('exit', (code) => reject(new Error(`cove serve exited (${code}): ${out}${err}`)));
  });
}

export function stop(proc, signal = 'SIGTERM') {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.removeAllListeners('exit');
    proc.on('exit', () => resolve());
    proc.kill(signal);
  });
}

export function removeHome(home) {
  rmSync(home, { recursive: true, force: true });
}

// An SDK client that also records every JSON response body it receives.
export function client(server, bodies = []) {
  return new Anthropic({
    apiKey: server.apiKey,
    baseURL: server.baseURL,
    maxRetries: 0,
    fetch: async (url, init) => {
      const res = await fetch(url, init);
      if ((res.headers.get('content-type') || '').includes('application/json')) {
        bodies.push(await res.clone().text());
      }
      return res;
    },
  });
}

// Collects stream events until `until(events)` is true or the stream ends.
export async function collect(stream, until = () => false) {
  const events = [];
  for await (const ev of stream) {
    events.push(ev);
    if (until(events)) break;
  }
  return events;
}
