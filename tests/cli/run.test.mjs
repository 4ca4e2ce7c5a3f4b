// `cove run` tells the truth: a repository or MCP server that cannot be set up stops the run
// before any model request (non-zero exit, one line) unless --keep-going; the daemon's model
// settings are checked when it starts; a cove key never reaches a model provider; one agent
// per configuration; follow-ups with --session; Ctrl-C interrupts, twice detaches.
// The model is tests/models/model_server.mjs on loopback (it records every request and its
// headers), so "the model was never called" is checked, not assumed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { coveBin, tempDir, removeDir, startProcess, stopProcess } from '../support/process.mjs';
import { startModelServer } from '../models/model_server.mjs';
import { startForge, freePort, say, use } from '../sessions/harness.mjs';

// The model settings of a daemon in this test's process tree: the Anthropic provider pointed
// at the loopback model server. Nothing from the caller's environment leaks in.
function modelEnv(model, extra = {}) {
  return { COVE_MODEL_PROVIDER: '', COVE_MODEL_API_KEY: '', ANTHROPIC_API_KEY: '', COVE_MODEL_SCRIPT: '', COVE_MODEL_BASE_URL: model.url, COVE_OFFLINE: '1', ...extra };
}

// Runs cove to its end without blocking this process (the model server answers from here).
// `onOutput(text, proc)` sees stdout and stderr as they come.
function cove(args, { env = {}, onOutput, timeoutMs = 60000 } = {}) {
  return new Promise((resolve) => {
    const proc = spawn(coveBin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.stdout.on('data', (d) => { out += d; onOutput?.(out + err, proc); });
    proc.stderr.on('data', (d) => { err += d; onOutput?.(out + err, proc); });
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err });
    });
  });
}

const embedded = (home, ...args) => ['run', '--home', home, '--embedded', ...args];

test('a repository or MCP server that cannot be set up stops cove run before any model request', async (t) => {
  const dir = tempDir('cove-run-honest-');
  const model = await startModelServer({ turns: Array(4).fill(say('I worked anyway.')) });
  const forge = await startForge();
  t.after(async () => { await model.close(); await forge.stop(); removeDir(dir); });
  const app = forge.createRepo('acme/app', { 'README.md': 'app\n' });
  const env = modelEnv(model, { COVE_REPO_TOKEN: forge.createToken('acme/app') });
  const closed = `http://127.0.0.1:${await freePort()}`;
  const failing = [
    [['--repo', `${forge.url}/acme/nope.git`], /repository .*acme\/nope\.git: .*(no such repository|not found)/, env],
    [['--repo', app], /repository .*acme\/app\.git: .*requires a token/, modelEnv(model)],
    [['--repo', `${app}@nobranch`], /repository .*acme\/app\.git: .*branch 'nobranch' does not exist/, env],
    [['--repo', `${closed}/acme/app.git`], /repository http:\/\/127\.0\.0\.1:\d+\/acme\/app\.git: /, env],
    [['--mcp', `tools=${closed}/mcp`], /MCP server tools: /, env],
  ];
  for (const [args, line, runEnv] of failing) {
    const r = await cove(embedded(join(dir, 'home'), '--json', ...args, 'fix the bug'), { env: runEnv });
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err, line);
    assert.match(r.err, /stopped before the first model request \(--keep-going runs the task without it\)/);
    assert.equal(model.requests.length, 0, 'the model was called: ' + JSON.stringify(model.requests));
    const errors = r.out.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'session.error');
    // Nothing retries a set-up failure: no event may say so.
    for (const e of errors) assert.notEqual(e.error.retry_status.type, 'retrying', JSON.stringify(e));
    assert.ok(errors.length >= 2, r.out);
  }

  const going = await cove(embedded(join(dir, 'home'), '--keep-going', '--repo', `${forge.url}/acme/nope.git`, 'fix the bug'), { env });
  assert.equal(going.code, 0, going.out + going.err);
  assert.equal(model.requests.length, 1);
  assert.match(going.out, /I worked anyway\./);
});

test('cove serve refuses to start with a model configuration that cannot work', async (t) => {
  const dir = tempDir('cove-run-config-');
  t.after(() => removeDir(dir));
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ turns: [{ content: [{ type: 'tool_use' }] }] }));
  const serve = (args, env = {}) => cove(['serve', '--listen', '127.0.0.1:0', '--home', join(dir, 'home'), '--offline', ...args],
    { env: { COVE_MODEL_PROVIDER: '', COVE_MODEL_API_KEY: '', ANTHROPIC_API_KEY: '', COVE_MODEL_BASE_URL: '', COVE_MODEL_SCRIPT: '', ...env }, timeoutMs: 15000 });
  const cases = [
    [['--model-provider', 'bogus'], {}, /unknown model provider 'bogus' \(known: anthropic, openai, scripted\)/],
    [['--model-script', join(dir, 'nope.json')], {}, /nope\.json/],
    [['--model-script', join(dir, 'bad.json')], {}, /bad\.json.*turn 1/],
    [[], {}, /no API key for the Anthropic API: set ANTHROPIC_API_KEY or COVE_MODEL_API_KEY/],
    [[], { ANTHROPIC_API_KEY: 'sk-cove-abcdef' }, /ANTHROPIC_API_KEY holds a cove API key, which cove never sends to a model provider/],
  ];
  for (const [args, env, line] of cases) {
    const r = await serve(args, env);
    assert.equal(r.code, 1, `${args}: ${r.out}${r.err}`);
    assert.doesNotMatch(r.out, /listening on/);
    assert.match(r.err, line);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  }
});

test('a cove API key never reaches the model provider, embedded or served', async (t) => {
  const dir = tempDir('cove-run-keys-');
  const model = await startModelServer({ turns: Array(4).fill(say('done')) });
  t.after(async () => { await model.close(); removeDir(dir); });
  const coveKey = 'sk-cove-exported-for-the-sdk-0123456789';
  const r = await cove(embedded(join(dir, 'a'), 'hi'), { env: modelEnv(model, { ANTHROPIC_API_KEY: coveKey }) });
  assert.equal(r.code, 0, r.out + r.err);

  // A daemon key of any form, exported as the model key too.
  const daemonKey = 'my-own-daemon-key';
  const daemon = await startProcess(coveBin, ['serve', '--listen', '127.0.0.1:0', '--home', join(dir, 'b'), '--api-key', daemonKey],
    { env: modelEnv(model, { ANTHROPIC_API_KEY: daemonKey }) });
  t.after(() => stopProcess(daemon.proc));
  const served = await cove(['run', '--url', daemon.match[1], 'hi'], { env: { COVE_API_KEY: daemonKey } });
  assert.equal(served.code, 0, served.out + served.err);

  assert.equal(model.headers.length, 2);
  for (const h of model.headers) {
    const all = JSON.stringify(h);
    assert.ok(!all.includes(coveKey) && !all.includes(daemonKey), all);
  }
});

test('scripted models: COVE_MODEL_SCRIPT alone, scripted:/abs/path embedded, and the header names what plays', async (t) => {
  const dir = tempDir('cove-run-script-');
  t.after(() => removeDir(dir));
  const script = join(dir, 'turns.json');
  writeFileSync(script, JSON.stringify({ turns: [say('from the script')] }));
  const env = { COVE_MODEL_PROVIDER: '', COVE_MODEL_API_KEY: '', ANTHROPIC_API_KEY: '', COVE_OFFLINE: '1' };
  const alone = await cove(embedded(join(dir, 'a'), 'hi'), { env: { ...env, COVE_MODEL_SCRIPT: script } });
  assert.equal(alone.code, 0, alone.out + alone.err);
  assert.match(alone.out, /from the script/);
  assert.match(alone.out, /set up model script turns\.json/);
  assert.doesNotMatch(alone.out, /claude-sonnet/);

  const path = await cove(embedded(join(dir, 'b'), '--model', `scripted:${script}`, 'hi'), { env: { ...env, COVE_MODEL_SCRIPT: '' } });
  assert.equal(path.code, 0, path.out + path.err);
  assert.match(path.out, /from the script/);
});

test('one agent per configuration, and follow-ups with --session', async (t) => {
  const dir = tempDir('cove-run-agents-');
  const model = await startModelServer({ turns: [say('one'), say('two'), say('three'), say('four')] });
  const apiKey = 'sk-test-agents';
  const daemon = await startProcess(coveBin, ['serve', '--listen', '127.0.0.1:0', '--home', join(dir, 'home'), '--api-key', apiKey], { env: modelEnv(model) });
  t.after(async () => { await stopProcess(daemon.proc); await model.close(); removeDir(dir); });
  const run = (...args) => cove(['run', '--url', daemon.match[1], ...args], { env: { COVE_API_KEY: apiKey } });
  const first = await run('first task');
  assert.equal(first.code, 0, first.err);
  // Model settings in cove run's own environment do nothing for a daemon elsewhere: say so.
  const second = await cove(['run', '--url', daemon.match[1], 'second task'], { env: { COVE_API_KEY: apiKey, COVE_MODEL_API_KEY: 'sk-ant-in-the-wrong-place' } });
  assert.equal(second.code, 0, second.err);
  assert.match(second.err, new RegExp(`COVE_MODEL_API_KEY is set here, but the daemon at ${daemon.match[1]} owns the model settings and does not see it; set it where \`cove serve\` runs`));
  assert.doesNotMatch(second.err, /sk-ant-in-the-wrong-place/);
  assert.equal((await run('--system', 'Be terse.', 'third task')).code, 0);
  const sdk = new Anthropic({ apiKey, baseURL: daemon.match[1], maxRetries: 0 });
  const agents = (await sdk.beta.agents.list()).data.filter((a) => a.name === 'cove run');
  assert.equal(agents.length, 2, JSON.stringify(agents));

  const id = first.out.match(/session (sesn_\w+)/)[1];
  const follow = await run('--session', id, 'and now the follow-up');
  assert.equal(follow.code, 0, follow.err);
  assert.match(follow.out, /four/);
  const last = model.requests.at(-1);
  const said = JSON.stringify(last.messages);
  assert.ok(said.includes('first task') && said.includes('and now the follow-up'), said);
});

// cove started without waiting for it: { proc, done, output() }.
function spawnCove(args, env = {}) {
  const proc = spawn(coveBin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { err += d; });
  const done = new Promise((resolve) => proc.on('exit', (code) => resolve({ code, out, err })));
  return { proc, done, output: () => out + err };
}

async function until(check, what, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// A loopback HTTP proxy to a daemon that holds back every user.interrupt for `delayMs`, so a
// test can press Ctrl-C a second time while the first press's interrupt is on its way.
async function interruptDelayingProxy(target, delayMs) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      if (body.includes('user.interrupt')) await new Promise((r) => setTimeout(r, delayMs));
      const up = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => { server.closeAllConnections(); server.close(); } };
}

test('Ctrl-C interrupts the session; a second Ctrl-C detaches and says how to re-attach', async (t) => {
  const dir = tempDir('cove-run-ctrlc-');
  const slow = { ...say('too late'), delay_ms: 60000 };
  const model = await startModelServer({ turns: [slow, slow, slow] });
  const apiKey = 'sk-test-ctrlc';
  const daemon = await startProcess(coveBin, ['serve', '--listen', '127.0.0.1:0', '--home', join(dir, 'home'), '--api-key', apiKey], { env: modelEnv(model) });
  const proxy = await interruptDelayingProxy(daemon.match[1], 3000);
  t.after(async () => { proxy.close(); await stopProcess(daemon.proc); await model.close(); removeDir(dir); });
  const sdk = new Anthropic({ apiKey, baseURL: daemon.match[1], maxRetries: 0 });

  const once = spawnCove(['run', '--url', daemon.match[1], 'slow task'], { COVE_API_KEY: apiKey });
  await until(() => model.requests.length === 1, 'the first model request');
  once.proc.kill('SIGINT');
  const r1 = await once.done;
  assert.equal(r1.code, 130, r1.out + r1.err);
  assert.match(r1.err, /interrupting session sesn_\w+ \(Ctrl-C again to detach\)/);
  const id1 = r1.out.match(/session (sesn_\w+)/)[1];
  assert.match(r1.err, new RegExp(`interrupted; session ${id1} is idle`));
  assert.equal((await sdk.beta.sessions.retrieve(id1)).status, 'idle');
  const types = [];
  for await (const e of sdk.beta.sessions.events.list(id1)) types.push(e.type);
  assert.ok(types.includes('user.interrupt'), types.join(' '));

  const twice = spawnCove(['run', '--url', proxy.url, 'slow task'], { COVE_API_KEY: apiKey });
  await until(() => model.requests.length === 2, 'the second model request');
  twice.proc.kill('SIGINT');
  await until(() => /interrupting session/.test(twice.output()), 'the first press to be noticed');
  twice.proc.kill('SIGINT');
  const r2 = await twice.done;
  assert.equal(r2.code, 130, r2.out + r2.err);
  const id2 = r2.out.match(/session (sesn_\w+)/)[1];
  assert.match(r2.err, new RegExp(`detached; session ${id2} goes on\\. Re-attach with: cove attach ${id2}`));
});

test('Ctrl-C on cove run --embedded interrupts, then the daemon in the process stops cleanly', async (t) => {
  const dir = tempDir('cove-run-ctrlc-embedded-');
  const model = await startModelServer({ turns: [{ ...say('too late'), delay_ms: 60000 }] });
  t.after(async () => { await model.close(); removeDir(dir); });
  const run = spawnCove(embedded(join(dir, 'home'), 'slow task'), modelEnv(model));
  await until(() => model.requests.length === 1, 'the model request');
  run.proc.kill('SIGINT');
  const r = await run.done;
  assert.equal(r.code, 130, r.out + r.err);
  assert.match(r.err, /interrupting session sesn_\w+ \(Ctrl-C again to stop the daemon in this process\)/);
  assert.match(r.err, /interrupted; session sesn_\w+ is idle/);
});

test('the parser names what it cannot use, in order, and never repeats a secret', async (t) => {
  const dir = tempDir('cove-cli-parse-');
  t.after(() => removeDir(dir));
  const cases = [
    [['sandox', 'run'], /^cove: unknown command 'sandox'; did you mean 'sandbox'\?$/],
    [['serv'], /^cove: unknown command 'serv'; did you mean 'serve'\?$/],
    [['repo', 'lst'], /^cove repo: unknown command 'lst'; did you mean 'ls'\?$/],
    [['repo', 'list'], /^cove repo: unknown command 'list'; did you mean 'ls'\?$/],
    [['kubectl'], /^cove: unknown command 'kubectl' \(commands: .*\bsandbox\b.*\)$/],
    [['run', 'fix', 'the', 'bug'], /^cove run: unexpected words after the task 'fix': 'the' 'bug'; the task is one argument: quote it, cove run "fix the bug"$/],
    [['run', '--modle', 'x', 'task'], /^cove run: unknown option '--modle'; did you mean '--model'\?$/],
    [['mcp', 'tools', 'http://127.0.0.1:9/mcp', '--bearer', 'ghp_OVUErzXi4qhd1pwD5P64QUyQhjQE8HfkI3Xn'], /^cove mcp tools: unknown option '--bearer'; did you mean '--bearer-env'\?$/],
    [['sandbox', 'run', '--mem', '1G', '--', 'true'], /^cove: sandbox run: unknown option '--mem'; did you mean '--memory'\? \(options go before the command; see cove sandbox run --help\)$/],
  ];
  for (const [args, line] of cases) {
    const r = await cove(args, { timeoutMs: 15000 });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.out}${r.err}`);
    assert.match(r.err.trim(), line);
    assert.doesNotMatch(r.err, /ghp_/);
  }

  // A checkout would hide the files of a non-empty directory; an unknown id is no checkout.
  const target = join(dir, 'ws');
  mkdirSync(target);
  writeFileSync(join(target, 'mine.txt'), 'keep me');
  const co = await cove(['repo', '--home', join(dir, 'home'), 'checkout', 'http://127.0.0.1:9/acme/app.git', target]);
  assert.equal(co.code, 1, co.out + co.err);
  assert.match(co.err, /is not an empty directory; a checkout mounted there would hide its files/);
  const rel = await cove(['repo', '--home', join(dir, 'home'), 'release', 'bogus']);
  assert.equal(rel.code, 1, rel.out + rel.err);
  assert.match(rel.err, /no checkout 'bogus' in .*sessions/);
});
