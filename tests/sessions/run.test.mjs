// `cove run`: one task in a new session on an embedded daemon, readable or --json output,
// and its exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { coveBin, tempDir, say, use } from './harness.mjs';

function run(home, args) {
  const r = spawnSync(coveBin, ['run', '--home', home, '--embedded', ...args], {
    encoding: 'utf8', timeout: 60000, env: { ...process.env, COVE_OFFLINE: '1' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('cove run prints progress, exits 0 on end_turn and 1 when the session fails', () => {
  const home = tempDir('cove-run-test-');
  try {
    mkdirSync(join(home, 'scripts'));
    writeFileSync(join(home, 'scripts', 'ok.json'), JSON.stringify({ turns: [use('bash', { command: 'echo made-by-bash' }, 'Working.'), say('Finished.')] }));
    writeFileSync(join(home, 'scripts', 'overloaded.json'), JSON.stringify({ turns: Array(5).fill({ error: { status: 400, message: 'bad request from the script' } }) }));

    const ok = run(home, ['--model', 'scripted:ok.json', 'do it']);
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.match(ok.out, /agent Working\./);
    assert.match(ok.out, /▸ bash  echo made-by-bash/);
    assert.match(ok.out, /✓ made-by-bash/);
    assert.match(ok.out, /end_turn · 50 input \/ 15 output tokens/);

    const json = run(home, ['--json', '--model', 'scripted:ok.json', 'do it']);
    assert.equal(json.code, 0, json.err);
    const events = json.out.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(events[0].type, 'user.message');
    assert.equal(events.at(-1).type, 'session.status_idle');
    assert.ok(events.some((e) => e.type === 'agent.tool_result' && e.content[0].text.includes('made-by-bash')));

    const failed = run(home, ['--model', 'scripted:overloaded.json', 'do it']);
    assert.equal(failed.code, 1);
    assert.match(failed.out, /model_request_failed_error: .*bad request from the script/);
    // Never retried (a 400): the line says what failed, not "retries_exhausted".
    assert.match(failed.err, /^cove run: .*bad request from the script/m);
    assert.doesNotMatch(failed.err + failed.out, /retries_exhausted/);

    const bad = run(home, ['--mcp', 'nourl', 'x']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /--mcp takes NAME=URL, got: nourl/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
