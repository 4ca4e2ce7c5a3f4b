// What a session's host-side state is after the agent and a crash have had their way: a
// link the agent planted in /workspace is never followed by the runtime (root), a session
// with repositories resumes after kill -9 of cove serve, and each live session runs as a
// host uid of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync, symlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startModelServer } from '../models/model_server.mjs';
import { startCove, startForge, stopProcess, turn, text, say, use, tempDir, agentAndEnv } from './harness.mjs';

// A directory only root may enter: what a planted link would like the runtime to hand over.
function makeVictim() {
  const dir = tempDir('cove-victim-');
  chmodSync(dir, 0o700);
  return dir;
}

function assertUntouched(victim) {
  const st = lstatSync(victim);
  assert.ok(st.isDirectory());
  assert.equal(st.uid, process.getuid(), 'the victim was not chowned');
  assert.equal(st.gid, process.getgid(), 'the victim was not chowned');
  assert.equal(st.mode & 0o7777, 0o700);
  assert.deepEqual(readdirSync(victim), [], 'nothing was written into the victim');
}

const workspaceOf = (home, sessionId) => join(home, 'sessions', sessionId, 'workspace');
const setupEnds = (events) => events.filter((e) => e.type === 'span.setup_step_end');

// Mounts and cgroups a killed daemon left, if a test fails before a restart released them.
function cleanUpAfterKill(home, sessionId) {
  try {
    execFileSync('sh', ['-c', `findmnt -rn -o TARGET | grep -F '${home}/' | sort -r | xargs -r -n1 umount -l`]);
    execFileSync('sh', ['-c', `find /sys/fs/cgroup -maxdepth 6 -type d -name 'sess-${sessionId.slice(-12)}' | xargs -r rmdir`]);
  } catch {}
}

test('a symlink at a mount path in /workspace is refused, never followed', async () => {
  const forge = await startForge();
  const appURL = forge.createRepo('acme/app', { 'README.md': 'app\n' });
  const victim = makeVictim();
  const model = await startModelServer({ turns: [use('bash', { command: 'ls -l /workspace; echo ran' }), say('done')] });
  const cove = await startCove({ modelURL: model.url });
  try {
    const { sdk } = cove;
    const { agent, env } = await agentAndEnv(sdk);
    const session = await sdk.beta.sessions.create({
      agent: agent.id, environment_id: env.id,
      resources: [{ type: 'github_repository', url: appURL, authorization_token: forge.createToken('acme/app') }],
    });
    // As left by the agent of an earlier life of the session (its workspace survives a crash).
    const ws = workspaceOf(cove.home, session.id);
    mkdirSync(ws, { recursive: true });
    symlinkSync(victim, join(ws, 'app'));
    const events = await turn(sdk, session.id, 'Look around.');
    const repo = setupEnds(events).find((e) => e.step === 'repository');
    assert.equal(repo.is_error, true);
    assert.match(repo.error, /mount point \/workspace\/app .*symbolic link/);
    const error = events.find((e) => e.type === 'session.error');
    assert.equal(error.error.repository_url, appURL);
    assert.match(error.error.message, /symbolic link, which cove does not follow/);
    // The session goes on without the repository.
    const result = events.find((e) => e.type === 'agent.tool_result');
    assert.equal(result.is_error, false, text(result.content));
    assert.match(text(result.content), /ran/);
    assertUntouched(victim);
  } finally {
    await cove.stop();
    await model.close();
    await forge.stop();
    rmSync(victim, { recursive: true, force: true });
  }
});

test('a session with repositories resumes after kill -9 of cove serve, as the same host uid', async () => {
  const forge = await startForge();
  const appURL = forge.createRepo('acme/app', { 'README.md': 'app\n' });
  const secretURL = forge.createRepo('acme/secret', { 'KEY.md': 'key\n' });
  const victim = makeVictim();
  const model = await startModelServer({
    turns: [
      // The failed repository left its (empty) mount point: the agent replaces it with a link.
      use('bash', { command: `rmdir /workspace/secret && ln -s ${victim} /workspace/secret && touch /workspace/before && echo planted` }),
      say('Planted.'),
      use('bash', { command: 'touch /workspace/after && cat /workspace/app/README.md && echo resumed' }),
      say('Resumed.'),
    ],
  });
  let first = await startCove({ modelURL: model.url });
  const home = first.home;
  let second;
  let sessionId;
  try {
    const { sdk } = first;
    const { agent, env } = await agentAndEnv(sdk);
    // The secret repository fails first (bad token): its mount path stays the agent's.
    const session = await sdk.beta.sessions.create({
      agent: agent.id, environment_id: env.id,
      resources: [
        { type: 'github_repository', url: secretURL, authorization_token: 'not-a-token' },
        { type: 'github_repository', url: appURL, authorization_token: forge.createToken('acme/app') },
      ],
    });
    sessionId = session.id;
    const before = await turn(sdk, session.id, 'Plant a link.');
    assert.deepEqual(setupEnds(before).filter((e) => e.step === 'repository').map((e) => e.is_error), [true, false]);
    const planted = before.find((e) => e.type === 'agent.tool_result');
    assert.equal(planted.is_error, false, text(planted.content));
    assert.ok(lstatSync(join(workspaceOf(home, session.id), 'secret')).isSymbolicLink());

    // The token is fixed, then the daemon dies uncleanly.
    const secret = (await sdk.beta.sessions.resources.list(session.id)).data.find((r) => r.url === secretURL);
    await sdk.beta.sessions.resources.update(secret.id, { session_id: session.id, authorization_token: forge.createToken('acme/secret') });
    await stopProcess(first.proc, 'SIGKILL');
    first = null;

    second = await startCove({ modelURL: model.url, home });
    const after = await turn(second.sdk, session.id, 'Carry on.');
    const setup = setupEnds(after);
    const repos = setup.filter((e) => e.step === 'repository');
    assert.deepEqual(repos.map((e) => e.name), [secretURL, appURL]);
    assert.equal(repos[0].is_error, true);
    assert.match(repos[0].error, /symbolic link/);
    assert.equal(repos[1].is_error, false, repos[1].error);
    const sandbox = setup.find((e) => e.step === 'sandbox');
    assert.equal(sandbox.is_error, false, sandbox.error);
    const result = after.find((e) => e.type === 'agent.tool_result');
    assert.ok(result, JSON.stringify(after.filter((e) => e.type === 'session.error')));
    assert.equal(result.is_error, false, text(result.content));
    assert.match(text(result.content), /app\nresumed/);
    assertUntouched(victim);
    // Files of both lives belong to the session's one host uid.
    const ws = workspaceOf(home, session.id);
    const uid = statSync(join(ws, 'before')).uid;
    assert.ok(uid >= 1000000, `host uid ${uid}`);
    assert.equal(statSync(join(ws, 'after')).uid, uid);
  } finally {
    if (first) await stopProcess(first.proc, 'SIGKILL');
    if (second) await second.stop();
    if (sessionId) cleanUpAfterKill(home, sessionId);
    rmSync(home, { recursive: true, force: true });
    await model.close();
    await forge.stop();
    rmSync(victim, { recursive: true, force: true });
  }
});

test('each live session runs as a host uid of its own', async () => {
  const model = await startModelServer({
    turns: [
      use('bash', { command: 'touch /workspace/mine && id -u' }), say('One.'),
      use('bash', { command: 'touch /workspace/mine && id -u' }), say('Two.'),
    ],
  });
  const cove = await startCove({ modelURL: model.url });
  try {
    const { sdk } = cove;
    const { agent, env } = await agentAndEnv(sdk);
    const uids = [];
    for (let i = 0; i < 2; i++) {
      const session = await sdk.beta.sessions.create({ agent: agent.id, environment_id: env.id });
      const events = await turn(sdk, session.id, 'Make a file.');
      const result = events.find((e) => e.type === 'agent.tool_result');
      assert.equal(result.is_error, false, text(result.content));
      assert.equal(text(result.content).trim(), '1000', 'the same user inside');
      uids.push(statSync(join(workspaceOf(cove.home, session.id), 'mine')).uid);
    }
    assert.ok(uids.every((u) => u >= 1000000), `host uids ${uids}`);
    assert.notEqual(uids[0], uids[1], 'two live sessions share host uid ' + uids[0]);
  } finally {
    await cove.stop();
    await model.close();
  }
});
