// `cove demo` end to end: the pull request exists in the forge with the fix, and a second run
// gives the same event types and tool results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { coveBin, tempDir, startProcess, stopProcess } from './harness.mjs';

function runDemo(args) {
  const r = spawnSync(coveBin, ['demo', ...args], { encoding: 'utf8', timeout: 120000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// What may differ between runs: ports, times, ids and commit hashes.
function normalise(text) {
  return text
    .replace(/http:\/\/127\.0\.0\.1:\d+/g, 'http://HOST')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, 'TIME')
    .replace(/\b[0-9a-f]{40}\b/g, 'SHA')
    .replace(/\b[0-9a-f]{7,12}\b/g, 'SHORTSHA')
    .replace(/(sevt|sesn|agent|env|vlt|sesrsc)_[A-Za-z0-9]+/g, '$1_ID');
}

function outline(jsonLines) {
  const events = jsonLines.trim().split('\n').map((l) => JSON.parse(l));
  return events.map((e) => {
    const item = { type: e.type };
    if (e.type.endsWith('tool_result')) item.result = normalise(JSON.stringify({ content: e.content, is_error: e.is_error }));
    if (e.type.endsWith('tool_use')) item.input = e.input;
    return item;
  });
}

test('cove demo opens a pull request with the fix, and runs the same way twice', async () => {
  const home = tempDir('cove-demo-test-');
  try {
    const first = runDemo(['--home', home]);
    assert.equal(first.code, 0, first.out + first.err);
    assert.match(first.out, /pull request #1: http:\/\/127\.0\.0\.1:\d+\/demo\/stats\/pull\/1/);
    assert.match(first.out, /-    return sum\(values\) \/\/ len\(values\)\n\+    return sum\(values\) \/ len\(values\)/);

    // The pull request is in the forge: ask its MCP endpoint, as an agent would.
    const forge = await startProcess(coveBin, ['forge', '--listen', '127.0.0.1:0', '--home', `${home}/forge`], { ready: /listening on (http:\/\/127\.0\.0\.1:\d+)/ });
    try {
      const token = execFileSync(coveBin, ['forge', 'token', 'create', '--repo', 'demo/stats', '--read-only', '--home', `${home}/forge`], { encoding: 'utf8' }).trim().split(/\s+/).at(-1);
      const client = new Client({ name: 'demo-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${forge.match[1]}/mcp/`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
      const list = await client.callTool({ name: 'list_pull_requests', arguments: { owner: 'demo', repo: 'stats', state: 'open' } });
      const prs = JSON.parse(list.content[0].text);
      assert.equal(prs.length, 1);
      assert.equal(prs[0].number, 1);
      assert.equal(prs[0].head.ref, 'fix-mean');
      assert.equal(prs[0].base.ref, 'main');
      const diff = await client.callTool({ name: 'pull_request_read', arguments: { method: 'get_diff', owner: 'demo', repo: 'stats', pullNumber: 1 } });
      assert.match(diff.content[0].text, /\+    return sum\(values\) \/ len\(values\)/);
      const file = await client.callTool({ name: 'get_file_contents', arguments: { owner: 'demo', repo: 'stats', path: 'stats.py', ref: 'refs/heads/fix-mean' } });
      assert.match(JSON.stringify(file.content), /sum\(values\) \/ len\(values\)/);
      await client.close();
    } finally {
      await stopProcess(forge.proc);
    }

    // Twice, in fresh homes: the same events, inputs and (normalised) tool results.
    const a = runDemo(['--json']);
    const b = runDemo(['--json']);
    assert.equal(a.code, 0, a.err);
    assert.equal(b.code, 0, b.err);
    const oa = outline(a.out);
    assert.deepEqual(outline(b.out), oa);
    const types = oa.map((e) => e.type).filter((t) => !t.startsWith('span.'));
    assert.deepEqual(types, [
      'user.message', 'session.status_running',
      'agent.message', 'agent.tool_use', 'agent.tool_result',
      'agent.message', 'agent.tool_use', 'agent.tool_result',
      'agent.message', 'agent.tool_use', 'agent.tool_result',
      'agent.tool_use', 'agent.tool_result',
      'agent.message', 'agent.tool_use', 'agent.tool_result',
      'agent.mcp_tool_use', 'agent.mcp_tool_result',
      'agent.message', 'session.status_idle',
    ]);
    const results = oa.filter((e) => e.result).map((e) => JSON.parse(e.result));
    assert.deepEqual(results.map((r) => r.is_error), [true, false, false, false, false, false]);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
