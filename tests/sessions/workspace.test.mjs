// A session's workspace lives as long as the session: its checkout (commits, branches, files)
// and /workspace survive the daemon stopping (SIGTERM) or dying (SIGKILL) and an idle
// teardown of its sandbox; what cannot be restored is reported before the next turn; what a
// dead daemon left (mounts, cgroups) is swept by the next start; deleting the session leaves
// nothing of it on the host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startModelServer } from '../models/model_server.mjs';
import { startCove, startForge, stopProcess, turn, text, say, use, agentAndEnv } from './harness.mjs';

const mountsOf = (sessionId) =>
  readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(sessionId));
const cgroupName = (sessionId) => `sess-${sessionId.slice(-12)}`;
const cgroupsOf = (sessionId) =>
  execFileSync('find', ['/sys/fs/cgroup', '-maxdepth', '8', '-type', 'd', '-name', cgroupName(sessionId)], { encoding: 'utf8' })
    .split('\n').filter(Boolean);
// Processes in the session's sandbox: their cgroup path names the sandbox.
function processesOf(sessionId) {
  const found = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(cgroupName(sessionId))) found.push(pid);
    } catch {}
  }
  return found;
}
const checkoutsOf = (home, sessionId) => {
  try {
    return readdirSync(join(home, 'repos', 'sessions')).filter((d) => d.startsWith(`${sessionId}-`));
  } catch {
    return [];
  }
};
const results = (events) => events.filter((e) => e.type === 'agent.tool_result');
const errors = (events) => events.filter((e) => e.type === 'session.error');

async function until(what, check, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function assertNothingLeft(home, sessionId) {
  assert.deepEqual(mountsOf(sessionId), [], 'no mount of the session remains');
  assert.deepEqual(cgroupsOf(sessionId), [], 'no cgroup of the session remains');
  assert.deepEqual(processesOf(sessionId), [], 'no process of the session remains');
  assert.deepEqual(checkoutsOf(home, sessionId), [], 'no checkout layer of the session remains');
  assert.equal(existsSync(join(home, 'sessions', sessionId)), false, 'the session directory is gone');
}

// Mounts and cgroups a killed daemon left, when a test fails before a restart swept them.
function cleanUpAfterKill(home, sessionId) {
  try {
    execFileSync('sh', ['-c', `findmnt -rn -o TARGET | grep -F '${home}/' | sort -r | xargs -r -n1 umount -l`]);
    for (const dir of cgroupsOf(sessionId)) rmSync(dir, { recursive: false, force: true });
  } catch {}
}

async function sessionWithRepo(sdk, forge, appURL) {
  const { agent, env } = await agentAndEnv(sdk);
  return sdk.beta.sessions.create({
    agent: agent.id, environment_id: env.id,
    resources: [{ type: 'github_repository', url: appURL, authorization_token: forge.createToken('acme/app') }],
  });
}

test('commits, branches and files survive a stop (SIGTERM) and a crash (SIGKILL) of cove serve', async () => {
  const forge = await startForge();
  const appURL = forge.createRepo('acme/app', { 'README.md': 'app\n' });
  const model = await startModelServer({
    turns: [
      use('bash', { command: 'git checkout -q -b work && echo v1 > marker.txt && git add marker.txt && git commit -qm mark && echo note > /workspace/notes.txt && echo committed' }),
      say('Committed.'),
      use('bash', { command: 'git branch --show-current; git log --format=%s -1; cat marker.txt /workspace/notes.txt; echo v2 >> marker.txt && git commit -qam more && echo again' }),
      say('Again.'),
      use('bash', { command: 'git branch --show-current; git log --format=%s | tr "\\n" " "; echo; cat marker.txt' }),
      say('Still there.'),
    ],
  });
  let cove = await startCove({ modelURL: model.url });
  const home = cove.home;
  let sessionId;
  try {
    const session = await sessionWithRepo(cove.sdk, forge, appURL);
    sessionId = session.id;
    const first = await turn(cove.sdk, session.id, 'Commit on a branch.');
    assert.match(text(results(first)[0].content), /committed/);

    await stopProcess(cove.proc, 'SIGTERM');
    cove = await startCove({ modelURL: model.url, home });
    const second = await turn(cove.sdk, session.id, 'Look again.');
    assert.deepEqual(errors(second), []);
    assert.equal(results(second)[0].is_error, false, text(results(second)[0].content));
    assert.equal(text(results(second)[0].content), 'work\nmark\nv1\nnote\nagain\n');

    await stopProcess(cove.proc, 'SIGKILL');
    cove = await startCove({ modelURL: model.url, home });
    const third = await turn(cove.sdk, session.id, 'And again.');
    assert.deepEqual(errors(third), []);
    assert.equal(text(results(third)[0].content), 'work\nmore mark Initial commit \nv1\nv2\n');

    await cove.sdk.beta.sessions.delete(session.id);
    await until('the session storage to go', () => !existsSync(join(home, 'sessions', session.id)));
    assertNothingLeft(home, session.id);
  } finally {
    await stopProcess(cove.proc, 'SIGKILL');
    if (sessionId) cleanUpAfterKill(home, sessionId);
    await cove.stop();
    await model.close();
    await forge.stop();
  }
});

test('kill -9 leaves mounts and cgroups that the next start sweeps; delete removes the rest', async () => {
  const forge = await startForge();
  const appURL = forge.createRepo('acme/app', { 'README.md': 'app\n' });
  const model = await startModelServer({ turns: [use('bash', { command: 'echo kept > kept.txt; echo ok' }), say('Done.')] });
  let cove = await startCove({ modelURL: model.url });
  const home = cove.home;
  let sessionId;
  try {
    const session = await sessionWithRepo(cove.sdk, forge, appURL);
    sessionId = session.id;
    await turn(cove.sdk, session.id, 'Write a file.');
    assert.ok(mountsOf(session.id).length > 0, 'the checkout is mounted while the session lives');
    assert.ok(cgroupsOf(session.id).length > 0, 'the sandbox has its cgroups');
    await stopProcess(cove.proc, 'SIGKILL');
    await until('the sandbox to die with its daemon', () => processesOf(session.id).length === 0);
    assert.ok(mountsOf(session.id).length > 0, 'the dead daemon left its mount (what the sweep is for)');

    cove = await startCove({ modelURL: model.url, home });
    assert.deepEqual(mountsOf(session.id), [], 'the restart unmounted the stale checkout');
    assert.deepEqual(cgroupsOf(session.id), [], 'the restart removed the stale cgroups');
    const [layer] = checkoutsOf(home, session.id);
    assert.ok(layer, 'the checkout layer is kept for the session');
    assert.equal(readFileSync(join(home, 'repos', 'sessions', layer, 'upper', 'kept.txt'), 'utf8'), 'kept\n');
    assert.equal((await cove.sdk.beta.sessions.retrieve(session.id)).cove.sandbox, 'stopped');

    // Deleted without a sandbox of it running in this daemon.
    await cove.sdk.beta.sessions.delete(session.id);
    assertNothingLeft(home, session.id);
  } finally {
    await stopProcess(cove.proc, 'SIGKILL');
    if (sessionId) cleanUpAfterKill(home, sessionId);
    await cove.stop();
    await model.close();
    await forge.stop();
  }
});

test('a workspace that cannot be restored is reported before the next turn', async () => {
  const forge = await startForge();
  const appURL = forge.createRepo('acme/app', { 'README.md': 'app\n' });
  const model = await startModelServer({
    turns: [
      use('bash', { command: 'echo v1 > marker.txt && git add marker.txt && git commit -qm mark && echo note > /workspace/notes.txt' }),
      say('Committed.'),
      use('bash', { command: 'git log --format=%s | tr "\\n" " "; echo; ls /workspace' }),
      say('Fresh.'),
    ],
  });
  let cove = await startCove({ modelURL: model.url });
  const home = cove.home;
  try {
    const session = await sessionWithRepo(cove.sdk, forge, appURL);
    await turn(cove.sdk, session.id, 'Commit.');
    await stopProcess(cove.proc, 'SIGTERM');
    // The disk lost them while cove was down.
    for (const layer of checkoutsOf(home, session.id)) rmSync(join(home, 'repos', 'sessions', layer), { recursive: true });
    rmSync(join(home, 'sessions', session.id, 'workspace'), { recursive: true });

    cove = await startCove({ modelURL: model.url, home });
    const events = await turn(cove.sdk, session.id, 'Look.');
    const errs = errors(events);
    assert.equal(errs.length, 2, JSON.stringify(errs));
    assert.match(errs[0].error.message, /\/workspace from before could not be restored/);
    assert.equal(errs[1].error.repository_url, appURL);
    assert.match(errs[1].error.message, /checkout of .* from before could not be restored \(its checkout is gone/);
    const firstModelEvent = events.findIndex((e) => e.type === 'agent.tool_use');
    assert.ok(events.indexOf(errs[1]) < firstModelEvent, 'reported before the turn');
    // The session goes on with a fresh checkout.
    assert.equal(text(results(events)[0].content), 'Initial commit \napp\n');
  } finally {
    await cove.stop();
    await model.close();
    await forge.stop();
  }
});

test('an idle session has its sandbox torn down and brought back on the next message', async () => {
  const forge = await startForge();
  const appURL = forge.createRepo('acme/app', { 'README.md': 'app\n' });
  const model = await startModelServer({
    turns: [
      use('bash', { command: 'export FRESH=old; echo one > one.txt; echo ok' }),
      say('Wrote.'),
      use('bash', { command: 'cat one.txt; echo "[$FRESH]"' }),
      say('Read.'),
    ],
  });
  const cove = await startCove({ modelURL: model.url, extra: ['--idle-timeout', '3s'] });
  try {
    const session = await sessionWithRepo(cove.sdk, forge, appURL);
    const first = await turn(cove.sdk, session.id, 'Write.');
    assert.deepEqual(errors(first), []);
    assert.equal((await cove.sdk.beta.sessions.retrieve(session.id)).cove.sandbox, 'running');
    assert.ok(processesOf(session.id).length > 0 && mountsOf(session.id).length > 0);
    await until('the sandbox to be torn down', async () =>
      (await cove.sdk.beta.sessions.retrieve(session.id)).cove.sandbox === 'stopped');
    assert.deepEqual(processesOf(session.id), [], 'init and the shell are gone');
    assert.deepEqual(mountsOf(session.id), [], 'the checkout is unmounted');
    assert.deepEqual(cgroupsOf(session.id), [], 'the cgroups are gone');

    const events = await turn(cove.sdk, session.id, 'Read.');
    assert.deepEqual(errors(events), []);
    assert.equal(text(results(events)[0].content), 'one\n[]\n', 'same files, a fresh shell');
    assert.equal((await cove.sdk.beta.sessions.retrieve(session.id)).cove.sandbox, 'running');
  } finally {
    await cove.stop();
    await model.close();
    await forge.stop();
  }
});
