// examples/sdk-session.mjs, the user guide's complete SDK script, run as a user would run it:
// against `cove serve` (a scripted model) with a token-protected repository on a cove forge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, startCove, startForge, tempDir } from './harness.mjs';
import { removeDir } from '../support/process.mjs';

let forge, cove, scriptDir;

// The model lists the repository with bash, then answers.
const script = {
  turns: [
    {
      content: [{ type: 'tool_use', id: 'toolu_ex_1', name: 'bash', input: { command: 'ls /workspace/repo' } }],
      stop_reason: 'tool_use',
      usage: { input_tokens: 30, output_tokens: 8 },
    },
    {
      content: [{ type: 'text', text: 'This is a tiny Python project.' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 50, output_tokens: 9 },
    },
  ],
};

before(async () => {
  forge = await startForge();
  scriptDir = tempDir('cove-example-script-');
  const file = join(scriptDir, 'turns.json');
  writeFileSync(file, JSON.stringify(script));
  cove = await startCove({ extra: ['--model-script', file] });
});
after(async () => {
  await cove?.stop();
  await forge?.stop();
  removeDir(scriptDir);
});

function runExample(env, args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'examples/sdk-session.mjs'), ...args],
      { env: { ...process.env, ...env }, timeout: 60000 },
      (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }));
  });
}

test('the SDK example runs a task on a mounted repository and exits 0', async () => {
  const url = forge.createRepo('acme/tiny', { 'main.py': 'print("hi")\n', 'README.md': '# tiny\n' });
  const token = forge.createToken('acme/tiny');
  const { code, stdout, stderr } = await runExample({
    ANTHROPIC_BASE_URL: cove.baseURL, ANTHROPIC_API_KEY: cove.apiKey, REPO_URL: url, REPO_TOKEN: token,
  }, ['Say', 'what', 'this', 'is']);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^session sesn_/m);
  assert.match(stdout, /tool: {2}bash \{"command":"ls \/workspace\/repo"\}/);
  assert.match(stdout, /README\.md/);  // the tool's output: the checkout is really there
  assert.match(stdout, /main\.py/);
  assert.match(stdout, /agent: This is a tiny Python project\./);
  assert.match(stdout, /usage: 80 tokens in, 17 out/);
  assert.ok(!stdout.includes(token) && !stderr.includes(token), 'the token is never printed');
});
