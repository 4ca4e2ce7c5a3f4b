// The tools escape and exhaustion suite, through the product's real path: the official SDK
// against `cove serve`, a scripted model whose turns are the attack, and the built-in tools
// (security review 2026-12, findings 1-3). Each case asserts the attack is refused or
// bounded, and that the daemon's own memory, fds and CPU stay flat while the sandbox's
// limits bite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { startModelServer } from '../models/model_server.mjs';
import { startCove, collect, turn, text, say, use, agentAndEnv } from './harness.mjs';

async function session(sdk) {
  const { agent, env } = await agentAndEnv(sdk);
  return sdk.beta.sessions.create({ agent: agent.id, environment_id: env.id });
}

// The results of a turn, in order, as {is_error, text}.
function results(events) {
  return events.filter((e) => e.type === 'agent.tool_result').map((r) => ({ is_error: r.is_error, text: text(r.content) }));
}

// The daemon's resident memory (kB), open fds and CPU time (clock ticks).
function usage(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return {
    rssKb: Number(status.match(/VmRSS:\s+(\d+)/)[1]),
    fds: readdirSync(`/proc/${pid}/fd`).length,
    cpu: Number(stat[11]) + Number(stat[12]),
  };
}

test('the file tools cannot touch the host kernel, and see only what the sandbox user may', async () => {
  const hostname = readFileSync('/proc/sys/kernel/hostname', 'utf8');
  const corePattern = readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
  const model = await startModelServer({
    turns: [
      use('write', { file_path: '/proc/sys/kernel/hostname', content: 'pwned' }),
      use('write', { file_path: '/proc/sys/kernel/core_pattern', content: '|/bin/sh /workspace/p.sh' }),
      use('edit', { file_path: '/proc/sys/kernel/core_pattern', old_string: corePattern.trim(), new_string: '|/workspace/p.sh' }),
      use('write', { file_path: '/proc/sys/net/ipv4/ip_forward', content: '1' }),
      use('read', { file_path: '/proc/sys/kernel/hostname' }),
      use('read', { file_path: '/proc/self/status' }),
      use('read', { file_path: '/proc/kallsyms', view_range: [1, 3] }),
      use('read', { file_path: '/proc/self/environ' }),
      use('glob', { pattern: '*', path: '/proc/sys/net/ipv4/conf' }),
      use('bash', { command: 'echo pwned > /proc/sys/kernel/hostname' }),
      use('bash', { command: 'cat /proc/[0-9]*/environ 2>/dev/null | tr "\\0" "\\n" | sort -u' }),
      say('done'),
    ],
  });
  const cove = await startCove({ modelURL: model.url });
  try {
    const s = await session(cove.sdk);
    const r = results(await turn(cove.sdk, s.id, 'Escape.'));
    assert.equal(r.length, 11);
    for (const i of [0, 1, 2, 3]) assert.equal(r[i].is_error, true, `write ${i} was not refused: ${r[i].text}`);
    assert.equal(readFileSync('/proc/sys/kernel/hostname', 'utf8'), hostname, 'the host was renamed');
    assert.equal(readFileSync('/proc/sys/kernel/core_pattern', 'utf8'), corePattern, 'core_pattern changed');
    assert.match(r[4].text, /^\s+1\tcove$/m, 'hostname is read in the sandbox UTS namespace');
    assert.match(r[5].text, /Uid:\t1000\t1000\t1000\t1000/);
    assert.match(r[5].text, /CapEff:\t0000000000000000/);
    assert.match(r[5].text, /Seccomp:\t2/);
    if (!r[6].is_error) assert.match(r[6].text, /\t0000000000000000 /, 'kernel addresses are hidden');
    assert.doesNotMatch(r[7].text, /model-key-not-a-secret|COVE_MODEL/, "the daemon's environment leaked");
    // The sandbox has only lo: the host's interfaces are not listed.
    assert.doesNotMatch(r[8].text, /eth\d|ens\d|enp/, r[8].text);
    assert.equal(r[9].is_error, true, 'bash must be refused as well');
    // Nothing of the daemon's own environment (model key, API key) reaches the sandbox.
    assert.match(r[10].text, /^PATH=/m, 'the environ dump is empty');
    for (const secret of ['model-key-not-a-secret', cove.apiKey, 'COVE_'])
      assert.ok(!r[10].text.includes(secret), `${secret} is visible in the sandbox`);
  } finally {
    await cove.stop();
    await model.close();
  }
});

test('deep trees, quadratic patterns and endless files leave the daemon flat', async () => {
  const deep = "python3 -c \"import os\nos.makedirs('/tmp/deep', exist_ok=True); os.chdir('/tmp/deep')\nfor i in range(3000):\n  os.mkdir('d'*200); os.chdir('d'*200)\nopen('needle.txt','w').write('needle')\" && echo made";
  const model = await startModelServer({
    turns: [
      use('read', { file_path: '/etc/hostname' }),
      say('warm'),
      use('bash', { command: deep }),
      use('bash', { command: "head -c 1048576 /dev/zero | tr '\\0' a > /tmp/one_line.txt; echo >> /tmp/one_line.txt; echo ok" }),
      use('glob', { pattern: '**/nomatch', path: '/tmp/deep' }),
      use('grep', { pattern: 'needle', path: '/tmp/deep' }),
      use('grep', { pattern: '(a|aa)*c', path: '/tmp/one_line.txt' }),
      say('done'),
    ],
  });
  const cove = await startCove({ modelURL: model.url });
  try {
    const s = await session(cove.sdk);
    const pid = cove.proc.pid;
    // A first turn brings the sandbox, its proxies and the tools' server up.
    await turn(cove.sdk, s.id, 'Warm up.');
    const before = usage(pid);
    const started = Date.now();
    const r = results(await turn(cove.sdk, s.id, 'Exhaust.'));
    assert.equal(r.length, 5, JSON.stringify(r));
    assert.equal(r[0].text.trim(), 'made');
    for (const i of [2, 3]) {
      assert.equal(r[i].is_error, false, r[i].text);
      assert.match(r[i].text, /levels deep were not searched/);
    }
    assert.match(r[4].text, /no matches/);
    assert.ok(Date.now() - started < 120000, 'the quadratic pattern took minutes');
    const after = usage(pid);
    assert.ok(after.rssKb - before.rssKb < 64 * 1024, `daemon RSS grew ${after.rssKb - before.rssKb} kB`);
    assert.ok(after.fds - before.fds < 16, `daemon fds grew from ${before.fds} to ${after.fds}`);
  } finally {
    await cove.stop();
    await model.close();
  }
});

test('an endless read stops on interrupt, and the daemon neither spins nor hangs on SIGTERM', async () => {
  const model = await startModelServer({
    turns: [
      use('bash', { command: "head -c 8192 /dev/zero | tr '\\0' a > /tmp/big && truncate -s 1P /tmp/big && echo ok" }),
      use('read', { file_path: '/tmp/big', view_range: [1, 0] }),
      say('done'),
    ],
  });
  const cove = await startCove({ modelURL: model.url });
  try {
    const s = await session(cove.sdk);
    const stream = await cove.sdk.beta.sessions.events.stream(s.id);
    let interruptedAt = 0;
    const done = collect(stream, (evs) => {
      const last = evs.at(-1);
      if (last.type === 'agent.tool_use' && last.name === 'read' && !interruptedAt) {
        interruptedAt = Date.now();
        setTimeout(() => cove.sdk.beta.sessions.events.send(s.id, { events: [{ type: 'user.interrupt' }] }), 500);
      }
      return last.type === 'session.status_idle';
    });
    await cove.sdk.beta.sessions.events.send(s.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'Read it.' }] }] });
    const events = await done;
    assert.ok(Date.now() - interruptedAt < 5000, `the read took ${Date.now() - interruptedAt} ms to stop`);
    const read = results(events)[1];
    assert.equal(read.is_error, true);
    assert.match(read.text, /interrupted/);
    // Nothing keeps burning the daemon's CPU once the turn is over.
    const a = usage(cove.proc.pid);
    await new Promise((r) => setTimeout(r, 2000));
    const b = usage(cove.proc.pid);
    assert.ok(b.cpu - a.cpu < 50, `the daemon used ${b.cpu - a.cpu} ticks in 2 s while idle`);
    // SIGTERM ends the daemon promptly.
    const exited = new Promise((resolve) => cove.proc.once('exit', resolve));
    const termAt = Date.now();
    cove.proc.kill('SIGTERM');
    await Promise.race([exited, new Promise((_, reject) => setTimeout(() => reject(new Error('cove serve ignored SIGTERM')), 15000))]);
    assert.ok(Date.now() - termAt < 15000);
  } finally {
    await cove.stop();
    await model.close();
  }
});

test('when the sandbox cannot be built, no tool runs at all', async () => {
  const marker = `/tmp/cove-unsandboxed-${process.pid}`;
  const model = await startModelServer({
    turns: [
      use('bash', { command: `echo ran > ${marker}` }),
      use('write', { file_path: marker, content: 'ran' }),
      say('done'),
    ],
  });
  // One process per sandbox: init fits, the shell and the tools' server cannot start.
  const cove = await startCove({ modelURL: model.url, extra: ['--pids', '1'] });
  try {
    const s = await session(cove.sdk);
    const events = await turn(cove.sdk, s.id, 'Run it.');
    assert.equal(existsSync(marker), false, 'a tool ran outside the sandbox');
    const errors = events.filter((e) => e.type === 'session.error');
    assert.ok(errors.some((e) => /could not start/.test(JSON.stringify(e))), JSON.stringify(errors));
    for (const r of results(events)) assert.equal(r.is_error, true, r.text);
  } finally {
    rmSync(marker, { force: true });
    await cove.stop();
    await model.close();
  }
});
