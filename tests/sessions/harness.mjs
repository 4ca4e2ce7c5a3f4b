// What the session tests share: cove serve pointed at a scripted Messages-API model server,
// a cove forge as the token-protected git server, server-everything as a real MCP peer, and
// helpers that collect a session's events through the official SDK.
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { coveBin, tempDir, removeDir, startProcess, stopProcess } from '../support/process.mjs';
import { collect } from '../support/events.mjs';

export { coveBin, tempDir, startProcess, stopProcess, collect };
export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Removes a stopped daemon's home. A mount it left behind is a bug of the daemon's shutdown:
// it is detached (so the test's other servers still get stopped and nothing hangs on a
// busy directory) and then reported as a failure naming the mount.
export function removeHome(home) {
  const left = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point) => point && point.startsWith(home + '/'));
  for (const point of left.reverse()) {
    try { execFileSync('umount', ['-l', point]); } catch { /* reported below */ }
  }
  removeDir(home);
  if (left.length) throw new Error(`cove serve left mounts behind after it stopped: ${left.join(', ')}`);
}

// cove serve, offline, with its anthropic provider pointed at `modelURL`; a fresh home
// unless `home` is given (a restart).
export async function startCove({ modelURL, extra = [], env = {}, home = tempDir('cove-sessions-home-') } = {}) {
  const apiKey = 'sk-sessions-test';
  const p = await startProcess(coveBin, ['serve', '--listen', '127.0.0.1:0', '--home', home, '--api-key', apiKey, '--offline', '--model-retry-base-ms', '50', ...extra], {
    env: { COVE_MODEL_PROVIDER: 'anthropic', COVE_MODEL_BASE_URL: modelURL ?? 'http://127.0.0.1:9', COVE_MODEL_API_KEY: 'model-key-not-a-secret', ...env },
  });
  const baseURL = p.match[1];
  const sdk = new Anthropic({ apiKey, baseURL, maxRetries: 0 });
  return {
    ...p, home, apiKey, baseURL, sdk,
    async stop() {
      await stopProcess(p.proc);
      removeHome(home);
    },
  };
}

// cove forge on a free port with a fresh home.
export async function startForge() {
  const home = tempDir('cove-forge-home-');
  const forge = (...args) => execFileSync(coveBin, ['forge', ...args, '--home', home], { encoding: 'utf8' }).trim();
  const p = await startProcess(coveBin, ['forge', '--listen', '127.0.0.1:0', '--home', home]);
  return {
    ...p, home, url: p.match[1], cli: forge,
    createRepo(fullName, files) {
      const dir = tempDir('cove-forge-src-');
      for (const [path, content] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), content);
      }
      forge('repo', 'create', fullName, '--from', dir);
      removeDir(dir);
      return `${p.match[1]}/${fullName}.git`;
    },
    // The token is the last word cove forge token create prints.
    createToken(repo) {
      return forge('token', 'create', '--repo', repo).split(/\s+/).at(-1);
    },
    revoke(token) {
      forge('token', 'revoke', token);
    },
    async stop() {
      await stopProcess(p.proc);
      removeDir(home);
    },
  };
}

// server-everything in streamable HTTP mode on a free loopback port.
export async function startEverything() {
  const port = await freePort();
  const p = await startProcess(process.execPath, [
    '--import', join(root, 'tests/mcp/loopback.mjs'),
    join(root, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'), 'streamableHttp',
  ], { env: { PORT: String(port) }, ready: /listening on port/i });
  return { ...p, url: `http://127.0.0.1:${port}/mcp`, stop: () => stopProcess(p.proc) };
}

export const idleCount = (n) => (evs) => evs.filter((e) => e.type === 'session.status_idle').length >= n;

// Sends one user message and collects the events until the session is idle again.
export async function turn(sdk, sessionId, text, { deltas = false } = {}) {
  const stream = await sdk.beta.sessions.events.stream(sessionId, deltas ? { event_deltas: ['agent.message'] } : {});
  const got = collect(stream, idleCount(1));
  await sdk.beta.sessions.events.send(sessionId, { events: [{ type: 'user.message', content: [{ type: 'text', text }] }] });
  return got;
}

// Persisted event types, without the set-up spans (their number depends on the resources).
export function loopTypes(events) {
  return events
    .map((e) => e.type)
    .filter((t) => !t.startsWith('span.setup_step') && t !== 'event_start' && t !== 'event_delta');
}

export function text(content) {
  return (content ?? []).filter((b) => b.type === 'text').map((b) => b.text).join('');
}

// An agent (the built-in toolset unless `tools` says otherwise) and an environment with
// unrestricted networking, as most session tests need them.
export async function agentAndEnv(sdk, { tools = [{ type: 'agent_toolset_20260401' }], mcp_servers, system } = {}) {
  const agent = await sdk.beta.agents.create({ name: 'worker', model: 'claude-test', tools, ...(mcp_servers ? { mcp_servers } : {}), ...(system ? { system } : {}) });
  const env = await sdk.beta.environments.create({ name: `env-${Math.random().toString(36).slice(2)}`, config: { type: 'cloud', networking: { type: 'unrestricted' } } });
  return { agent, env };
}

// Model turns for the scripted model server.
export const say = (t) => ({ content: [{ type: 'text', text: t }], stop_reason: 'end_turn', usage: { input_tokens: 20, output_tokens: 5 } });
let toolIds = 0;
export const use = (name, input, t) => ({
  content: [...(t ? [{ type: 'text', text: t }] : []), { type: 'tool_use', id: `toolu_${++toolIds}`, name, input }],
  stop_reason: 'tool_use',
  usage: { input_tokens: 30, output_tokens: 10 },
});
