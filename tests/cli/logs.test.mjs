// `cove logs [-f]` and `cove attach` against a real daemon with scripted models: the history
// read back readable or as JSON, following across a daemon restart without gaps or repeats,
// and attach's exit status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { coveBin, removeDir, stopProcess } from '../support/process.mjs';
import { workspace, startDaemon, cove, at, fixture, send, waitStatus, waitTurns, listEvents, waitFor } from './sessions_cli.mjs';

async function daemonFor(t) {
  const ws = workspace();
  t.after(() => removeDir(ws.dir));
  const daemon = await startDaemon(ws);
  t.after(() => daemon.stop());
  return { ws, daemon };
}

// Starts cove in the background; its output so far is read with out() / err().
function background(args) {
  const proc = spawn(coveBin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, COVE_URL: '', COVE_API_KEY: '' } });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => (stdout += d));
  proc.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => proc.on('close', (code) => resolve(code)));
  return { proc, out: () => stdout, err: () => stderr, exited };
}

test('cove logs prints the history readably, one summary per turn, or as the API\'s events', async (t) => {
  const { daemon } = await daemonFor(t);
  const { sdk } = daemon;
  const s = await (await fixture(sdk)).session();
  await send(sdk, s.id, 'hello');
  await waitTurns(sdk, s.id, 1);
  await send(sdk, s.id, 'again');
  await waitTurns(sdk, s.id, 2);

  const r = await cove(['logs', s.id, ...at(daemon)]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^> hello\n(.*\n)*agent Done\.\n■ end_turn · 10 input \/ 2 output tokens · \d+\.\d s\n> again\n/m);
  assert.equal(r.stdout.match(/■ end_turn · 10 input \/ 2 output tokens/g).length, 2, r.stdout);
  assert.doesNotMatch(r.stdout, /\x1b\[/, 'colour on a pipe');

  const js = await cove(['logs', '--json', s.id, ...at(daemon)]);
  assert.equal(js.code, 0, js.stderr);
  const printed = js.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(printed, JSON.parse(JSON.stringify(await listEvents(sdk, s.id))));

  for (const args of [['logs', 'sesn_nope'], ['logs', '-f', 'sesn_nope'], ['attach', 'sesn_nope']]) {
    const unknown = await cove([...args, ...at(daemon)]);
    assert.equal(unknown.code, 1, args.join(' '));
    assert.match(unknown.stderr, new RegExp(`^cove ${args[0]}: session sesn_nope not found at http://127\\.0\\.0\\.1:\\d+ \\(\`cove ps -a\` lists the sessions\\)\\n$`));
  }
});

test('cove logs -f follows across a daemon restart with nothing missed or repeated, and ends when the session is deleted', async (t) => {
  const { ws, daemon } = await daemonFor(t);
  const s = await (await fixture(daemon.sdk)).session();
  await send(daemon.sdk, s.id, 'one');
  await waitTurns(daemon.sdk, s.id, 1);

  const logs = background(['logs', '-f', '--json', s.id, ...at(daemon)]);
  t.after(() => stopProcess(logs.proc));
  await waitFor(logs.out, /session\.status_idle/);

  await daemon.stop();
  await waitFor(logs.err, /the connection to the daemon dropped; reconnecting/);
  // Events committed while the follower is away: it must replay them once it is back.
  const again = await startDaemon(ws, { port: daemon.port });
  t.after(() => again.stop());
  await send(again.sdk, s.id, 'two');
  await waitTurns(again.sdk, s.id, 2);
  await waitFor(logs.out, /session\.status_idle(.|\n)*session\.status_idle/);
  await waitFor(logs.err, /reconnected; resuming after the last event received/);

  const printed = logs.out().trimEnd().split('\n').map((l) => JSON.parse(l).id);
  const stored = (await listEvents(again.sdk, s.id)).map((e) => e.id);
  assert.deepEqual(printed, stored);

  await again.sdk.beta.sessions.delete(s.id);
  assert.equal(await logs.exited, 0, logs.err());
  assert.equal(JSON.parse(logs.out().trimEnd().split('\n').at(-1)).type, 'session.deleted');
});

test('cove attach follows a running session until it stops and exits as cove run would (0, 3, 1)', async (t) => {
  const { daemon } = await daemonFor(t);
  const { sdk } = daemon;
  const brief = await fixture(sdk, 'brief.json');
  const s = await brief.session();
  await send(sdk, s.id, 'go');
  await waitStatus(sdk, s.id, 'running');
  const r = await cove(['attach', s.id, ...at(daemon)]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /agent Done\.\n■ end_turn · 10 input \/ 2 output tokens/);
  assert.doesNotMatch(r.stdout, /> go/, 'attach printed what came before it');

  const idle = await cove(['attach', s.id, ...at(daemon)]);
  assert.equal(idle.code, 0);
  assert.equal(idle.stderr, `cove attach: session ${s.id} is not running (end_turn)\n`);

  const fresh = await brief.session();
  const never = await cove(['attach', fresh.id, ...at(daemon)]);
  assert.equal(never.code, 0);
  assert.equal(never.stderr, `cove attach: session ${fresh.id} is not running (it has not run yet)\n`);

  const tools = [{ type: 'custom', name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }];
  const asking = await (await fixture(sdk, 'ask.json', { tools })).session();
  await send(sdk, asking.id, 'weather?');
  await waitStatus(sdk, asking.id, 'running');
  const waits = await cove(['attach', asking.id, ...at(daemon)]);
  assert.equal(waits.code, 3, waits.stderr);
  assert.match(waits.stdout, /▸ get_weather/);
  assert.equal(waits.stderr, `cove attach: the session waits for a tool confirmation or a custom tool result (${asking.id})\n`);

  const slow = await (await fixture(sdk, 'slow.json')).session();
  await send(sdk, slow.id, 'work');
  await waitStatus(sdk, slow.id, 'running');
  const attached = background(['attach', slow.id, ...at(daemon)]);
  t.after(() => stopProcess(attached.proc));
  await new Promise((resolve) => setTimeout(resolve, 500));
  await sdk.beta.sessions.archive(slow.id);
  assert.equal(await attached.exited, 1);
  assert.match(attached.err(), /cove attach: the session stopped: terminated\n$/);
});
