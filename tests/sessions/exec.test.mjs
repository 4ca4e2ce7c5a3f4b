// `cove exec` and `cove cp` against cove serve: a command runs in the session's own sandbox
// as the sandbox user (confined like the agent's tools), its output and exit status come
// back, a torn-down sandbox is woken; files are copied out of and into /workspace, and
// neither a symlink nor `..` reaches anything outside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startModelServer } from '../models/model_server.mjs';
import { coveBin, startCove, startForge, turn, say, use, agentAndEnv, tempDir } from './harness.mjs';

// Runs the cove CLI with `input` on its stdin; resolves with {code, stdout, stderr}.
function run(cv, args, input = '') {
  const [cmd, ...rest] = args;
  return new Promise((resolve) => {
    const child = execFile(coveBin, [cmd, '--url', cv.baseURL, '--api-key', cv.apiKey, ...rest], { encoding: 'utf8' },
      (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
    child.stdin.end(input);
  });
}
const cove = (cv, ...args) => run(cv, args);

async function until(what, check, ms = 15000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('cove exec runs confined in the session sandbox; cove cp copies without escaping /workspace', async () => {
  const forge = await startForge();
  const appURL = forge.createRepo('acme/app', { 'README.md': 'app\n' });
  const model = await startModelServer({
    turns: [
      use('bash', { command: 'echo hello > hello.txt; ln -s /etc/shadow shadow; ln -s /etc etc; echo ok' }),
      say('Set up.'),
    ],
  });
  const cv = await startCove({ modelURL: model.url, extra: ['--idle-timeout', '2s'] });
  const out = tempDir('cove-cp-out-');
  let failure;
  try {
    const { agent, env } = await agentAndEnv(cv.sdk);
    const session = await cv.sdk.beta.sessions.create({
      agent: agent.id, environment_id: env.id,
      resources: [{ type: 'github_repository', url: appURL, authorization_token: forge.createToken('acme/app') }],
    });
    const id = session.id;
    await turn(cv.sdk, id, 'Set up.');

    let r = await cove(cv, 'exec', id, '--', 'id', '-u');
    assert.deepEqual([r.code, r.stdout], [0, '1000\n'], r.stderr);
    r = await cove(cv, 'exec', id, '--', 'sh', '-c', 'echo out; echo err >&2; exit 7');
    assert.deepEqual([r.code, r.stdout, r.stderr], [7, 'out\n', 'err\n']);
    // Confined: no capabilities, its own pid namespace, the session's working directory, and
    // the host's files (the daemon's home) out of sight.
    writeFileSync(join(cv.home, 'host-marker'), 'x');
    r = await cove(cv, 'exec', id, '--', 'sh', '-c', `grep CapEff /proc/self/status; cat /proc/1/comm; pwd; test -e ${join(cv.home, 'host-marker')} && echo SEEN`);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^CapEff:\s+0000000000000000\ncove-init\n\/workspace\/app\n$/);
    r = await run(cv, ['exec', id, '-i', '--', 'tr', 'a-z', 'A-Z'], 'shout\n');
    assert.deepEqual([r.code, r.stdout], [0, 'SHOUT\n'], r.stderr);

    // Out of the workspace.
    r = await cove(cv, 'cp', `${id}:/workspace/app/hello.txt`, out);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(out, 'hello.txt'), 'utf8'), 'hello\n');
    for (const escape of ['/workspace/app/shadow', '/workspace/../etc/shadow', '/workspace/app/etc/passwd']) {
      r = await cove(cv, 'cp', `${id}:${escape}`, join(out, 'stolen'));
      assert.notEqual(r.code, 0, escape);
      assert.match(r.stderr, /outside \/workspace/, escape);
      assert.equal(existsSync(join(out, 'stolen')), false, escape);
    }
    // Into it: owned by the sandbox user, never through a link out.
    const local = join(out, 'notes.md');
    writeFileSync(local, 'from the host\n');
    r = await cove(cv, 'cp', local, `${id}:/workspace/app`);
    assert.equal(r.code, 0, r.stderr);
    r = await cove(cv, 'exec', id, '--', 'sh', '-c', 'cat notes.md; stat -c %u notes.md');
    assert.equal(r.stdout, 'from the host\n1000\n');
    r = await cove(cv, 'cp', local, `${id}:/workspace/app/etc/`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /outside \/workspace/);
    r = await cove(cv, 'cp', local, `${id}:/workspace/app/shadow`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /outside \/workspace/);
    // Refused before it read its input: more than a pipe holds is left unwritten, and the
    // daemon (not the command) must survive the broken pipe.
    const big = join(out, 'big.bin');
    writeFileSync(big, Buffer.alloc(256 << 10, 0x61));
    r = await cove(cv, 'cp', big, `${id}:/workspace/app/etc/`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /outside \/workspace/);
    r = await cove(cv, 'exec', id, '--', 'true');
    assert.equal(r.code, 0, r.stderr);

    // A torn-down sandbox is woken for the command.
    await until('the sandbox to be torn down', async () => (await cv.sdk.beta.sessions.retrieve(id)).cove.sandbox === 'stopped');
    r = await cove(cv, 'exec', id, '--', 'cat', 'hello.txt');
    assert.deepEqual([r.code, r.stdout], [0, 'hello\n'], r.stderr);

    r = await cove(cv, 'exec', 'sesn_nope', '--', 'true');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^cove exec: .*sesn_nope/);
  } catch (e) {
    failure = e;
  }
  // Each server is stopped even when another's stop fails (a test must not hang on it); the
  // test's own failure is reported first.
  const stops = await Promise.allSettled([cv.stop(), model.close(), forge.stop()]);
  if (failure) throw failure;
  for (const s of stops) if (s.status === 'rejected') throw s.reason;
});
