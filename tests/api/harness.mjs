// Starts `cove serve` on a free loopback port with a fresh home, for the SDK tests.
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import { coveBin, tempDir, startProcess, stopProcess } from '../support/process.mjs';

export { removeDir, stopProcess } from '../support/process.mjs';
export { collect } from '../support/events.mjs';

// A scripted model whose every turn just ends (the API tests are about the API, not the agent).
export const endTurnScript = join(dirname(fileURLToPath(import.meta.url)), 'end_turn_script.json');

// Resolves once the daemon prints its address. `home` is reused across restarts. The daemon
// runs offline (nothing but loopback is ever contacted) with the end-turn script as its model.
export async function startServer({ home = tempDir('cove-api-test-'), apiKey = 'sk-test-key', extra = [] } = {}) {
  const args = ['serve', '--listen', '127.0.0.1:0', '--home', home, '--api-key', apiKey, '--offline', '--model-script', endTurnScript, ...extra];
  const { proc, match, output } = await startProcess(coveBin, args);
  return { proc, home, apiKey, baseURL: match[1], output, stop: () => stopProcess(proc) };
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

