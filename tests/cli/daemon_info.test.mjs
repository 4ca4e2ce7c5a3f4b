// `cove version`, `cove info`, `cove serve --log-level` and NO_COLOR, against a real daemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { coveBin, removeDir } from '../support/process.mjs';
import { workspace, startDaemon, freePort, cove, at, apiKey, fixture, send, waitTurns, waitFor } from './sessions_cli.mjs';

const modelKey = 'sk-ant-upstream-secret-key';

test('cove version prints the client and the daemon; with no daemon it says so and exits 0', async (t) => {
  const ws = workspace();
  t.after(() => removeDir(ws.dir));
  const daemon = await startDaemon(ws);
  t.after(() => daemon.stop());
  const r = await cove(['version', ...at(daemon)]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^client  cove \\d+\\.\\d+\\.\\d+\\ndaemon  cove \\d+\\.\\d+\\.\\d+ \\(${daemon.url}, pid ${daemon.proc.pid}\\)\\n$`));

  const refused = await cove(['version', '--url', daemon.url, '--api-key', 'sk-wrong']);
  assert.equal(refused.code, 1);
  assert.match(refused.stdout, /^client  cove \d+\.\d+\.\d+\n$/);
  assert.match(refused.stderr, /^cove version: the daemon at .* refused the API key \(from --api-key\)/);

  const url = `http://127.0.0.1:${await freePort()}`;
  const down = await cove(['version', '--url', url]);
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stdout, /^client  cove \d+\.\d+\.\d+\ndaemon  not running: no daemon answers at /);
  assert.ok(down.stdout.includes(url));
});

test('cove info shows home, store, pid, provider, offline mode and limits, never a key', async (t) => {
  const ws = workspace();
  t.after(() => removeDir(ws.dir));
  const daemon = await startDaemon(ws, { extra: ['--memory', '1G', '--pids', '300'], env: { COVE_MODEL_API_KEY: modelKey } });
  t.after(() => daemon.stop());
  const r = await cove(['info', ...at(daemon)]);
  assert.equal(r.code, 0, r.stderr);
  const daemonPart = r.stdout.slice(r.stdout.indexOf('daemon:\n'));
  const field = (name) => daemonPart.match(new RegExp(`^  ${name} +(.*)$`, 'm'))?.[1];
  assert.equal(field('pid'), String(daemon.proc.pid));
  assert.equal(field('home'), ws.home);
  assert.equal(field('store'), join(ws.home, 'cove.db'));
  assert.equal(field('url'), daemon.url);
  assert.match(field('model provider'), /^scripted, script .*fast\.json$/);
  assert.match(field('offline'), /^yes/);
  assert.equal(field('sandbox memory'), '1024 MiB');
  assert.equal(field('sandbox processes'), '300');

  const js = await cove(['info', '--json', ...at(daemon)]);
  assert.equal(js.code, 0, js.stderr);
  const info = JSON.parse(js.stdout);
  assert.equal(info.daemon.pid, daemon.proc.pid);
  assert.equal(info.daemon.offline, true);
  assert.equal(info.daemon.limits.pids, 300);
  for (const out of [r.stdout, js.stdout]) {
    assert.ok(!out.includes(modelKey), 'the model key was shown');
    assert.ok(!out.includes(apiKey), 'the API key was shown');
  }

  const url = `http://127.0.0.1:${await freePort()}`;
  const down = await cove(['info', '--url', url, '--home', ws.home]);
  assert.equal(down.code, 1);
  assert.match(down.stdout, new RegExp(`^client:\\n  version .*\\n  home +${ws.home}\\n  daemon URL +${url} \\(--url\\)\\n$`));
  assert.match(down.stderr, /^cove info: no daemon answers at .*\n$/);
});

test('cove serve logs one line per request at info, per event at debug, and nothing but errors at error', async (t) => {
  const ws = workspace();
  t.after(() => removeDir(ws.dir));
  const debug = await startDaemon(ws, { extra: ['--log-level', 'debug'] });
  t.after(() => debug.stop());
  const s = await (await fixture(debug.sdk)).session();
  await send(debug.sdk, s.id, 'hi');
  await waitTurns(debug.sdk, s.id);
  const secret = 'page_querysecret123';
  await fetch(`${debug.url}/v1/sessions?page=${secret}`, { headers: { 'x-api-key': apiKey } });
  await waitFor(debug.output, new RegExp(`POST /v1/sessions/${s.id}/events 200 \\d+ ms req_`));
  await waitFor(debug.output, new RegExp(`debug session ${s.id} event \\d+ session\\.status_idle`));
  await waitFor(debug.output, /info GET \/v1\/sessions 400 \d+ ms/);
  const lines = debug.output().split('\n');
  assert.ok(lines.some((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z info POST \/v1\/agents 200 \d+ ms req_\w+$/.test(l)), debug.output());
  assert.ok(!debug.output().includes(secret), 'a query value was logged');
  assert.ok(!debug.output().includes(apiKey), 'the API key was logged');
  await debug.stop();

  const quiet = await startDaemon(ws, { extra: ['--log-level', 'error'] });
  t.after(() => quiet.stop());
  await quiet.sdk.beta.agents.list();
  await new Promise((r) => setTimeout(r, 200));
  assert.doesNotMatch(quiet.output(), / info | debug /);

  const bad = await cove(['serve', '--home', ws.home, '--log-level', 'verbose'], { timeoutMs: 10000 });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--log-level: verbose not in \{error,warn,info,debug\}/);
});

// Runs `cove args` on a pseudo-terminal (util-linux `script`), so that it may colour.
function onTerminal(args, env) {
  const command = [coveBin, ...args].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 30000, env: { ...process.env, COVE_URL: '', COVE_API_KEY: '', ...env } });
  return { code: r.status, out: r.stdout };
}

test('output is coloured on a terminal only, and never with NO_COLOR set (cove run, cove logs)', async (t) => {
  const ws = workspace();
  t.after(() => removeDir(ws.dir));
  const daemon = await startDaemon(ws);
  t.after(() => daemon.stop());
  const run = ['run', ...at(daemon), '--model', 'scripted:fast.json', 'hi'];
  const coloured = onTerminal(run, {});
  assert.equal(coloured.code, 0, coloured.out);
  assert.match(coloured.out, /\x1b\[/, 'no colour on a terminal');
  const plain = onTerminal(run, { NO_COLOR: '1' });
  assert.equal(plain.code, 0, plain.out);
  assert.match(plain.out, /end_turn/);
  assert.doesNotMatch(plain.out, /\x1b\[/, 'cove run coloured with NO_COLOR');

  const id = plain.out.match(/session (sesn_\w+)/)[1];
  assert.match(onTerminal(['logs', id, ...at(daemon)], {}).out, /\x1b\[/);
  const logs = onTerminal(['logs', id, ...at(daemon)], { NO_COLOR: '1' });
  assert.match(logs.out, /■ end_turn/);
  assert.doesNotMatch(logs.out, /\x1b\[/, 'cove logs coloured with NO_COLOR');
  // The empty string does not count (no-color.org).
  assert.match(onTerminal(['logs', id, ...at(daemon)], { NO_COLOR: '' }).out, /\x1b\[/);
});
