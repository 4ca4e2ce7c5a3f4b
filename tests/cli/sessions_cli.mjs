// What the session-command tests share: a `cove serve` with scripted models (fast.json: every
// turn ends at once; slow.json: every turn takes 60 s unless interrupted), an SDK client of
// it, and running the cove binary to its end.
import { spawn } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { coveBin, tempDir, startProcess, stopProcess } from '../support/process.mjs';

export const apiKey = 'sk-test-key';
const usage = { input_tokens: 10, output_tokens: 2 };
const turn = (extra = {}) => ({ content: [{ type: 'text', text: 'Done.' }], stop_reason: 'end_turn', usage, ...extra });

// A fresh directory with the model scripts; `home` is the daemon's state directory. ask.json
// calls the custom tool get_weather (after 1.5 s), so the turn waits for the client.
export function workspace() {
  const dir = tempDir('cove-cli-sessions-');
  const scripts = join(dir, 'scripts');
  mkdirSync(scripts);
  writeFileSync(join(scripts, 'fast.json'), JSON.stringify({ turns: Array.from({ length: 20 }, () => turn()) }));
  writeFileSync(join(scripts, 'slow.json'), JSON.stringify({ turns: Array.from({ length: 5 }, () => turn({ delay_ms: 60000 })) }));
  writeFileSync(join(scripts, 'brief.json'), JSON.stringify({ turns: Array.from({ length: 5 }, () => turn({ delay_ms: 1500 })) }));
  const ask = { content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } }], stop_reason: 'tool_use', usage, delay_ms: 1500 };
  writeFileSync(join(scripts, 'ask.json'), JSON.stringify({ turns: [ask, turn()] }));
  return { dir, home: join(dir, 'home'), scripts };
}

// Starts `cove serve` on `port` (0: any) for the workspace; `extra` arguments and `env` added.
export async function startDaemon(ws, { port = 0, extra = [], env = {} } = {}) {
  const args = ['serve', '--listen', `127.0.0.1:${port}`, '--home', ws.home, '--api-key', apiKey, '--offline',
    '--scripts-dir', ws.scripts, '--model-script', join(ws.scripts, 'fast.json'), ...extra];
  const { proc, match, output } = await startProcess(coveBin, args, { env });
  const url = match[1];
  const sdk = new Anthropic({ apiKey, baseURL: url, maxRetries: 0 });
  return { proc, url, port: Number(new URL(url).port), output, sdk, stop: () => stopProcess(proc) };
}

// A loopback port nothing listens on.
export function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Runs cove with `args` to its end; `env` is added to this process's environment (COVE_URL
// and COVE_API_KEY cleared unless given). Killed after `timeoutMs`.
export function cove(args, { env = {}, timeoutMs = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(coveBin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, COVE_URL: '', COVE_API_KEY: '', ...env } });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`cove ${args.join(' ')} did not end: ${stdout}${stderr}`));
    }, timeoutMs);
    proc.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// The arguments that point a command at `daemon`.
export const at = (daemon) => ['--url', daemon.url, '--api-key', apiKey];

// An agent on `script` (with `agentExtra` fields) and an environment; sessions are made with
// session().
export async function fixture(sdk, script = 'fast.json', agentExtra = {}) {
  const agent = await sdk.beta.agents.create({ name: `agent-${script}`, model: `scripted:${script}`, ...agentExtra });
  const env = await sdk.beta.environments.create({ name: `env-${script}-${Date.now()}-${Math.random()}` });
  return {
    agent, env,
    session: (extra = {}) => sdk.beta.sessions.create({ agent: agent.id, environment_id: env.id, ...extra }),
  };
}

export async function send(sdk, id, text) {
  await sdk.beta.sessions.events.send(id, { events: [{ type: 'user.message', content: [{ type: 'text', text }] }] });
}

// Resolves once the session's status is `status`.
export async function waitStatus(sdk, id, status, timeoutMs = 30000) {
  for (const deadline = Date.now() + timeoutMs; ; ) {
    const s = await sdk.beta.sessions.retrieve(id);
    if (s.status === status) return s;
    if (Date.now() > deadline) throw new Error(`session ${id} is ${s.status}, not ${status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Resolves once the session has ended `turns` turns (status_idle events): its status alone
// cannot say, since a new session is idle before its first message is handled.
export async function waitTurns(sdk, id, turns = 1, timeoutMs = 30000) {
  for (const deadline = Date.now() + timeoutMs; ; ) {
    const ended = (await listEvents(sdk, id)).filter((e) => e.type === 'session.status_idle').length;
    if (ended >= turns) return;
    if (Date.now() > deadline) throw new Error(`session ${id} ended ${ended} turns, not ${turns}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function listEvents(sdk, id) {
  const out = [];
  for await (const e of sdk.beta.sessions.events.list(id)) out.push(e);
  return out;
}

// Resolves once `read()` matches `pattern` (polling), with the match.
export async function waitFor(read, pattern, timeoutMs = 30000) {
  for (const deadline = Date.now() + timeoutMs; ; ) {
    const m = read().match(pattern);
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`never matched ${pattern}: ${read()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
