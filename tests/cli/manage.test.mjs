// `cove ps`, `cove interrupt`, `cove rm` and `cove prune` against a real daemon with scripted
// models, including unknown ids and a daemon that does not run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { removeDir } from '../support/process.mjs';
import { workspace, startDaemon, freePort, cove, at, fixture, send, waitStatus, waitTurns, listEvents } from './sessions_cli.mjs';

async function daemonFor(t) {
  const ws = workspace();
  t.after(() => removeDir(ws.dir));
  const daemon = await startDaemon(ws);
  t.after(() => daemon.stop());
  return daemon;
}

const oneLine = (text) => text.split('\n').length === 2;

test('cove ps lists running and idle sessions with age, tokens and mount paths; -a adds archived; --json pages through all', async (t) => {
  const daemon = await daemonFor(t);
  const { sdk } = daemon;
  const fast = await fixture(sdk);
  const done = await fast.session({
    title: 'fix the bug',
    resources: [{ type: 'github_repository', url: 'https://github.com/acme/calc', mount_path: '/workspace/calc' }],
  });
  await send(sdk, done.id, 'hi');
  await waitTurns(sdk, done.id);
  const archived = await fast.session();
  await sdk.beta.sessions.archive(archived.id);
  const slow = await fixture(sdk, 'slow.json');
  const busy = await slow.session();
  await send(sdk, busy.id, 'work');
  await waitStatus(sdk, busy.id, 'running');

  const r = await cove(['ps', ...at(daemon)]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^ID\s+STATUS\s+AGE\s+TOKENS IN\/OUT\s+REPOSITORIES\s+TITLE$/);
  const row = (id) => lines.find((l) => l.startsWith(id));
  assert.match(row(done.id), new RegExp(`^${done.id}\\s+idle\\s+\\d+[sm]\\s+10/2\\s+/workspace/calc\\s+fix the bug$`));
  assert.match(row(busy.id), new RegExp(`^${busy.id}\\s+running\\s+`));
  assert.equal(row(archived.id), undefined, 'an archived session is listed without -a');

  const all = await cove(['ps', '-a', ...at(daemon)]);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, new RegExp(`${archived.id}\\s+terminated \\(archived\\)`));

  // More sessions than one page of the API (100) holds.
  for (let i = 0; i < 100; i++) await fast.session();
  const js = await cove(['ps', '--json', ...at(daemon)]);
  assert.equal(js.code, 0, js.stderr);
  const listed = JSON.parse(js.stdout);
  assert.equal(listed.length, 102);
  assert.equal(new Set(listed.map((s) => s.id)).size, 102);
  assert.ok(listed.some((s) => s.id === done.id && s.usage.input_tokens === 10));
  assert.ok(!listed.some((s) => s.id === archived.id));
  await sdk.beta.sessions.archive(busy.id);
});

test('cove interrupt stops a running turn; an idle session is left alone; an unknown id fails with one line', async (t) => {
  const daemon = await daemonFor(t);
  const { sdk } = daemon;
  const slow = await fixture(sdk, 'slow.json');
  const s = await slow.session();
  await send(sdk, s.id, 'work');
  await waitStatus(sdk, s.id, 'running');
  const r = await cove(['interrupt', s.id, ...at(daemon)]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `interrupted ${s.id}\n`);
  await waitStatus(sdk, s.id, 'idle', 15000);
  const types = (await listEvents(sdk, s.id)).map((e) => e.type);
  assert.ok(types.includes('user.interrupt'), types.join(' '));

  const again = await cove(['interrupt', s.id, ...at(daemon)]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /is idle; there is nothing to interrupt/);
  assert.equal((await listEvents(sdk, s.id)).filter((e) => e.type === 'user.interrupt').length, 1);

  const unknown = await cove(['interrupt', 'sesn_nope', ...at(daemon)]);
  assert.equal(unknown.code, 1);
  assert.ok(oneLine(unknown.stderr), unknown.stderr);
  assert.match(unknown.stderr, /^cove interrupt: session sesn_nope not found at http:\/\/127\.0\.0\.1:\d+ \(`cove ps -a` lists the sessions\)\n$/);
});

test('cove rm deletes sessions, refuses a running one without --force, and names unknown or malformed ids', async (t) => {
  const daemon = await daemonFor(t);
  const { sdk } = daemon;
  const fast = await fixture(sdk);
  const a = await fast.session();
  const b = await fast.session();
  const slow = await fixture(sdk, 'slow.json');
  const busy = await slow.session();
  await send(sdk, busy.id, 'work');
  await waitStatus(sdk, busy.id, 'running');

  const r = await cove(['rm', a.id, 'sesn_nope', b.id, 'x/../y', ...at(daemon)]);
  assert.equal(r.code, 1, 'an id that failed makes rm fail');
  assert.equal(r.stdout, `${a.id}\n${b.id}\n`);
  const errors = r.stderr.trimEnd().split('\n');
  assert.equal(errors.length, 2, r.stderr);
  assert.match(errors[0], /^cove rm: session sesn_nope not found/);
  assert.match(errors[1], /^cove rm: 'x\/\.\.\/y' is not a session id/);
  for (const id of [a.id, b.id]) await assert.rejects(sdk.beta.sessions.retrieve(id), /not found/);

  const refused = await cove(['rm', busy.id, ...at(daemon)]);
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, `cove rm: session ${busy.id} is running; stop it first with \`cove interrupt ${busy.id}\`, or use --force\n`);
  assert.equal((await sdk.beta.sessions.retrieve(busy.id)).status, 'running');
  const forced = await cove(['rm', '--force', busy.id, ...at(daemon)]);
  assert.equal(forced.code, 0, forced.stderr);
  await assert.rejects(sdk.beta.sessions.retrieve(busy.id), /not found/);
});

test('cove prune deletes idle and terminated sessions past the threshold, never running ones; --dry-run deletes nothing', async (t) => {
  const daemon = await daemonFor(t);
  const { sdk } = daemon;
  const fast = await fixture(sdk);
  const idle = await fast.session();
  await send(sdk, idle.id, 'hi');
  await waitTurns(sdk, idle.id);
  const archived = await fast.session();
  await sdk.beta.sessions.archive(archived.id);
  const slow = await fixture(sdk, 'slow.json');
  const busy = await slow.session();
  await send(sdk, busy.id, 'work');
  await waitStatus(sdk, busy.id, 'running');

  const young = await cove(['prune', ...at(daemon)]);
  assert.equal(young.code, 0, young.stderr);
  assert.equal(young.stdout, 'nothing to prune: no idle or terminated session unchanged for 24h\n');

  const dry = await cove(['prune', '--all', '--dry-run', ...at(daemon)]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, new RegExp(`^would remove ${idle.id} \\(idle for \\d+s\\)$`, 'm'));
  assert.match(dry.stdout, new RegExp(`^would remove ${archived.id} \\(terminated for \\d+s\\)$`, 'm'));
  assert.doesNotMatch(dry.stdout, new RegExp(busy.id));
  await sdk.beta.sessions.retrieve(idle.id);

  const bad = await cove(['prune', '--older-than', 'soon', ...at(daemon)]);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, "cove prune: --older-than: 'soon' is not a duration; give a number and a unit, e.g. 30m, 12h or 7d\n");

  await new Promise((r) => setTimeout(r, 1100));
  const pruned = await cove(['prune', '--older-than', '1s', ...at(daemon)]);
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.equal(pruned.stdout.trimEnd().split('\n').length, 2, pruned.stdout);
  assert.match(pruned.stdout, new RegExp(`^removed ${idle.id} `, 'm'));
  await assert.rejects(sdk.beta.sessions.retrieve(idle.id), /not found/);
  await assert.rejects(sdk.beta.sessions.retrieve(archived.id), /not found/);
  assert.equal((await sdk.beta.sessions.retrieve(busy.id)).status, 'running');
  await sdk.beta.sessions.archive(busy.id);
});

test('every session command names the daemon that does not answer, in one line', async (t) => {
  const url = `http://127.0.0.1:${await freePort()}`;
  for (const args of [['ps'], ['logs', 'sesn_x'], ['logs', '-f', 'sesn_x'], ['attach', 'sesn_x'], ['interrupt', 'sesn_x'], ['rm', 'sesn_x'], ['prune']]) {
    const r = await cove([...args, '--url', url, '--api-key', 'k']);
    assert.equal(r.code, 1, `${args}: ${r.stdout}`);
    assert.ok(oneLine(r.stderr), `${args}: ${r.stderr}`);
    assert.ok(r.stderr.startsWith(`cove ${args[0]}: no daemon answers at ${url} (--url: `), r.stderr);
    assert.match(r.stderr, /start `cove serve`/);
  }
  const viaEnv = await cove(['ps'], { env: { COVE_URL: url } });
  assert.match(viaEnv.stderr, new RegExp(`no daemon answers at ${url} \\(COVE_URL: `));
});

test('a wrong API key is named as the cause, without printing it', async (t) => {
  const daemon = await daemonFor(t);
  const r = await cove(['ps', '--url', daemon.url, '--api-key', 'sk-wrong-secret']);
  assert.equal(r.code, 1);
  assert.ok(oneLine(r.stderr), r.stderr);
  assert.match(r.stderr, /refused the API key \(from --api-key\)/);
  assert.doesNotMatch(r.stderr, /sk-wrong-secret/);
});
