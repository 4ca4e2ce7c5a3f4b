// One daemon per home, and a home private to its owner: a second daemon on a home in use
// stops with one line naming the holder's pid (before it touches the first one's sessions);
// `cove run` never replaces a daemon the user named; a home others may use is refused; files
// cove creates in the home are 0600/0700 whatever the umask.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, chmodSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { coveBin, tempDir, removeDir, startProcess, stopProcess } from '../support/process.mjs';

// Runs cove to its end (killed after `timeoutMs`: a daemon that starts when it should not
// is a failure, not a hang).
function runCove(args, { env = {}, timeoutMs = 15000 } = {}) {
  const r = spawnSync(coveBin, args, { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function serveArgs(home, extra = []) {
  return ['serve', '--listen', '127.0.0.1:0', '--home', home, '--api-key', 'sk-test-key', '--offline', ...(extra.length ? extra : ['--model-provider', 'openai'])];
}

const mode = (path) => (statSync(path).mode & 0o777).toString(8);

test('a second cove serve on a home in use names the holder and leaves its running session alone', async (t) => {
  const dir = tempDir('cove-cli-test-');
  t.after(() => removeDir(dir));
  const home = join(dir, 'home');
  const script = join(dir, 'slow.json');
  const usage = { input_tokens: 1, output_tokens: 1 };
  writeFileSync(script, JSON.stringify({ turns: [{ delay_ms: 60000, content: [{ type: 'text', text: 'slow' }], stop_reason: 'end_turn', usage }] }));
  const first = await startProcess(coveBin, serveArgs(home, ['--model-script', script]));
  t.after(() => stopProcess(first.proc));
  const sdk = new Anthropic({ apiKey: 'sk-test-key', baseURL: first.match[1], maxRetries: 0 });
  const agent = await sdk.beta.agents.create({ name: 'slow', model: 'm' });
  const env = await sdk.beta.environments.create({ name: 'slow-env' });
  const session = await sdk.beta.sessions.create({ agent: agent.id, environment_id: env.id });
  await sdk.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }] });
  for (const deadline = Date.now() + 20000; (await sdk.beta.sessions.retrieve(session.id)).status !== 'running'; ) {
    assert.ok(Date.now() < deadline, 'the session never started running');
    await new Promise((r) => setTimeout(r, 50));
  }

  const second = runCove(serveArgs(home));
  assert.notEqual(second.code, 0, `the second daemon started: ${second.stdout}${second.stderr}`);
  assert.equal(second.stderr, `cove serve: the home ${home} is in use by cove (pid ${first.proc.pid}); stop it or use another --home\n`);
  assert.equal(second.stdout, '');

  const embedded = runCove(['run', '--embedded', '--home', home, 'hi']);
  assert.notEqual(embedded.code, 0);
  assert.match(embedded.stderr, new RegExp(`in use by cove \\(pid ${first.proc.pid}\\)`));

  assert.equal((await sdk.beta.sessions.retrieve(session.id)).status, 'running');
  const events = [];
  for await (const e of sdk.beta.sessions.events.list(session.id)) events.push(e);
  const types = events.map((e) => e.type);
  assert.ok(!types.includes('session.status_idle') && !types.includes('session.error'), types.join(' '));
  assert.doesNotMatch(JSON.stringify(events), /restarted|abandoned/);
});

test('cove run with a --url or COVE_URL that does not answer fails, naming it', async (t) => {
  const dir = tempDir('cove-cli-test-');
  t.after(() => removeDir(dir));
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const env = { COVE_HOME: join(dir, 'home'), COVE_OFFLINE: '1', COVE_URL: '' };
  for (const [args, extraEnv] of [[['run', '--url', url, 'hi'], {}], [['run', 'hi'], { COVE_URL: url }]]) {
    const r = runCove(args, { env: { ...env, ...extraEnv } });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
    assert.ok(r.stderr.includes(url), r.stderr);
    assert.doesNotMatch(r.stderr, /running one in this process/);
  }
});

test('cove serve refuses a home that group or others may read', async (t) => {
  const dir = tempDir('cove-cli-test-');
  t.after(() => removeDir(dir));
  const home = join(dir, 'home');
  mkdirSync(home);
  chmodSync(home, 0o755);
  const r = runCove(serveArgs(home), { timeoutMs: 10000 });
  assert.equal(r.code, 1, `it started: ${r.stdout}`);
  assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
  assert.match(r.stderr, /mode 0755/);
  assert.ok(r.stderr.includes(`chmod 700 ${home}`), r.stderr);
  assert.equal(mode(home), '755', 'the home was changed');
});

test('a home created under umask 000 is 0700 with 0600 files', async (t) => {
  const dir = tempDir('cove-cli-test-');
  t.after(() => removeDir(dir));
  const home = join(dir, 'home');
  const old = process.umask(0);
  let daemon;
  try {
    daemon = await startProcess(coveBin, ['serve', '--listen', '127.0.0.1:0', '--home', home, '--offline', '--model-provider', 'openai']);
  } finally {
    process.umask(old);
  }
  t.after(() => stopProcess(daemon.proc));
  assert.equal(mode(home), '700');
  for (const sub of ['sessions', 'repos']) assert.equal(mode(join(home, sub)), '700', sub);
  for (const file of ['lock', 'api-key', 'cove.db', 'secrets.key']) assert.equal(mode(join(home, file)), '600', file);
});
