// The forge's MCP endpoint through the official @modelcontextprotocol/sdk client (a real peer):
// every tool listed and called, a whole pull-request flow checked with git, error results for
// bad input, the streamable HTTP protocol's answers, and cove's own `cove mcp` CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  coveBin, startForge, forgeCli, createToken, writeTree, git, withToken, tempDir, removeDir, percentile,
} from './harness.mjs';

const run = promisify(execFile);

const EXPECTED_TOOLS = [
  'add_issue_comment', 'create_branch', 'create_or_update_file', 'create_pull_request', 'get_commit',
  'get_file_contents', 'issue_read', 'issue_write', 'list_branches', 'list_commits', 'list_issues',
  'list_pull_requests', 'merge_pull_request', 'pull_request_read', 'push_files', 'search_code',
  'update_pull_request',
];

let forge;
let work;
let token;
let readOnly;
let client;
const called = new Set();

async function connect(bearer) {
  const c = new Client({ name: 'forge-test', version: '1.0.0' });
  const headers = bearer ? { Authorization: `Bearer ${bearer}` } : {};
  await c.connect(new StreamableHTTPClientTransport(new URL(`${forge.url}/mcp/`), { requestInit: { headers } }));
  return c;
}

// Calls a tool; returns the parsed JSON of its text (or the text), failing on isError.
async function call(name, args, c = client) {
  called.add(name);
  const r = await c.callTool({ name, arguments: args });
  assert.notEqual(r.isError, true, `${name} failed: ${r.content?.[0]?.text}`);
  const text = r.content[0].text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// Calls a tool that must fail; returns its error message.
async function callError(name, args, c = client) {
  called.add(name);
  const r = await c.callTool({ name, arguments: args });
  assert.equal(r.isError, true, `${name} should have failed: ${JSON.stringify(r.content)}`);
  return r.content[0].text;
}

const repo = { owner: 'acme', repo: 'widgets' };

before(async () => {
  forge = await startForge();
  work = tempDir();
  const src = writeTree(join(work, 'src'), {
    'README.md': '# Widgets\n\nMakes widgets.\n',
    'src/widget.c': '#include "widget.h"\nint widget_count(void) { return 42; }\n',
    'src/widget.h': 'int widget_count(void);\n',
  });
  forgeCli(forge.home, 'repo', 'create', 'acme/widgets', '--from', src);
  forgeCli(forge.home, 'repo', 'create', 'acme/secret');
  token = createToken(forge.home, '--user', 'robot');
  readOnly = createToken(forge.home, '--read-only');
  client = await connect(token);
});

after(async () => {
  await client?.close();
  await forge.stop();
  removeDir(forge.home);
  removeDir(work);
});

test('tools/list offers the GitHub tools with their input schemas', async () => {
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(), EXPECTED_TOOLS);
  const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
  assert.deepEqual(byName.create_or_update_file.inputSchema.required, ['owner', 'repo', 'path', 'content', 'message', 'branch']);
  assert.deepEqual(byName.pull_request_read.inputSchema.required, ['method', 'owner', 'repo', 'pullNumber']);
  assert.deepEqual(byName.pull_request_read.inputSchema.properties.method.enum,
    ['get', 'get_diff', 'get_status', 'get_files', 'get_commits', 'get_review_comments', 'get_reviews', 'get_comments', 'get_check_runs']);
  assert.deepEqual(byName.merge_pull_request.inputSchema.properties.merge_method.enum, ['merge', 'squash', 'rebase']);
  assert.deepEqual(byName.push_files.inputSchema.properties.files.items.required, ['path', 'content']);
  assert.equal(byName.get_file_contents.annotations.readOnlyHint, true);
  assert.equal(byName.merge_pull_request.annotations.readOnlyHint, false);
});

test('read tools: file contents, directory listing, branches, commits, code search', async () => {
  const file = await client.callTool({ name: 'get_file_contents', arguments: { ...repo, path: 'README.md' } });
  called.add('get_file_contents');
  assert.match(file.content[0].text, /successfully downloaded text file \(SHA: [0-9a-f]{40}\)/);
  assert.equal(file.content[1].type, 'resource');
  assert.equal(file.content[1].resource.text, '# Widgets\n\nMakes widgets.\n');
  assert.equal(file.content[1].resource.uri, 'repo://acme/widgets/refs/heads/main/contents/README.md');

  const dir = await call('get_file_contents', { ...repo, path: 'src', fields: ['name', 'type'] });
  assert.deepEqual(dir, [{ name: 'widget.c', type: 'file' }, { name: 'widget.h', type: 'file' }]);

  const branches = await call('list_branches', repo);
  assert.deepEqual(branches.map((b) => b.name), ['main']);
  assert.match(branches[0].sha, /^[0-9a-f]{40}$/);

  const commits = await call('list_commits', repo);
  assert.equal(commits.length, 1);
  assert.equal(commits[0].commit.message, 'Initial commit');
  assert.equal(commits[0].html_url, `${forge.url}/acme/widgets/commit/${commits[0].sha}`);

  const commit = await call('get_commit', { ...repo, sha: commits[0].sha, detail: 'full_patch' });
  assert.equal(commit.sha, commits[0].sha);
  assert.equal(commit.files.length, 3);
  assert.equal(commit.stats.additions, 6);
  assert.match(commit.files.find((f) => f.filename === 'src/widget.h').patch, /^@@ .*\n\+int widget_count\(void\);$/);

  const hits = await call('search_code', { query: 'widget_count repo:acme/widgets extension:c' });
  assert.equal(hits.total_count, 1);
  assert.equal(hits.items[0].path, 'src/widget.c');
  assert.equal(hits.items[0].repository, 'acme/widgets');
  assert.match(hits.items[0].text_matches[0].fragment, /return 42/);
  const phrase = await call('search_code', { query: '"makes widgets"' });
  assert.deepEqual(phrase.items.map((i) => i.path), ['README.md']);
  const regex = await call('search_code', { query: '/return [0-9]+;/ NOT nothing' });
  assert.deepEqual(regex.items.map((i) => i.path), ['src/widget.c']);
});

test('a pull request from branch to merge, checked with git clone', async () => {
  const created = await call('create_branch', { ...repo, branch: 'feature' });
  assert.equal(created.ref, 'refs/heads/feature');

  const pushed = await call('push_files', {
    ...repo, branch: 'feature', message: 'Add gadgets',
    files: [{ path: 'src/gadget.c', content: 'int gadget(void) { return 7; }\n' }, { path: 'docs/gadgets.md', content: '# Gadgets\n' }],
  });
  assert.match(pushed.object.sha, /^[0-9a-f]{40}$/);

  // A new file needs no sha; updating it needs the current one.
  const file = await call('create_or_update_file', { ...repo, branch: 'feature', path: 'CHANGELOG.md', content: 'v1\n', message: 'Start a changelog' });
  assert.equal(file.content.path, 'CHANGELOG.md');
  const updated = await call('create_or_update_file', { ...repo, branch: 'feature', path: 'CHANGELOG.md', content: 'v1\nv2\n', message: 'More', sha: file.content.sha });
  assert.notEqual(updated.content.sha, file.content.sha);
  assert.match(updated.commit.sha, /^[0-9a-f]{40}$/);

  const pr = await call('create_pull_request', { ...repo, title: 'Gadgets', head: 'feature', base: 'main', body: 'Adds gadgets.' });
  assert.equal(pr.number, 1);
  assert.equal(pr.state, 'open');
  assert.equal(pr.html_url, `${forge.url}/acme/widgets/pull/1`);
  assert.equal(pr.head.ref, 'feature');
  assert.equal(pr.head.sha, updated.commit.sha);
  assert.equal(pr.base.ref, 'main');
  assert.equal(pr.user.login, 'robot');

  const listed = await call('list_pull_requests', repo);
  assert.deepEqual(listed.map((p) => p.number), [1]);

  const details = await call('pull_request_read', { ...repo, pullNumber: 1, method: 'get' });
  assert.equal(details.mergeable, true);
  assert.equal(details.mergeable_state, 'clean');
  assert.equal(details.changed_files, 3);
  assert.equal(details.commits, 3);

  const diff = await call('pull_request_read', { ...repo, pullNumber: 1, method: 'get_diff' });
  assert.match(diff, /^diff --git a\/CHANGELOG.md b\/CHANGELOG.md/m);
  assert.match(diff, /^\+int gadget\(void\) \{ return 7; \}$/m);

  const files = await call('pull_request_read', { ...repo, pullNumber: 1, method: 'get_files' });
  assert.deepEqual(files.map((f) => f.filename).sort(), ['CHANGELOG.md', 'docs/gadgets.md', 'src/gadget.c']);
  const prCommits = await call('pull_request_read', { ...repo, pullNumber: 1, method: 'get_commits' });
  assert.deepEqual(prCommits.map((c) => c.message), ['Add gadgets', 'Start a changelog', 'More']);
  const status = await call('pull_request_read', { ...repo, pullNumber: 1, method: 'get_status' });
  assert.equal(status.sha, updated.commit.sha);
  for (const method of ['get_review_comments', 'get_reviews', 'get_check_runs']) {
    await call('pull_request_read', { ...repo, pullNumber: 1, method });
  }

  const comment = await call('add_issue_comment', { ...repo, issue_number: 1, body: 'Looks good to me.' });
  assert.match(comment.url, /\/acme\/widgets\/issues\/1#issuecomment-\d+$/);
  const comments = await call('pull_request_read', { ...repo, pullNumber: 1, method: 'get_comments' });
  assert.deepEqual(comments.map((c) => c.body), ['Looks good to me.']);

  const renamed = await call('update_pull_request', { ...repo, pullNumber: 1, title: 'Gadgets!' });
  assert.equal(renamed.title, 'Gadgets!');

  const merged = await call('merge_pull_request', { ...repo, pullNumber: 1, merge_method: 'merge' });
  assert.equal(merged.merged, true);
  assert.match(merged.sha, /^[0-9a-f]{40}$/);

  const after = await call('pull_request_read', { ...repo, pullNumber: 1, method: 'get' });
  assert.equal(after.state, 'closed');
  assert.equal(after.merged, true);
  assert.equal(after.merge_commit_sha, merged.sha);
  assert.equal(after.merged_by, 'robot');

  // The base branch has the change: check with git.
  const dir = join(work, 'after-merge');
  const clone = git(['clone', '-q', withToken(`${forge.url}/acme/widgets.git`, token), dir]);
  assert.equal(clone.status, 0, clone.stderr);
  assert.equal(readFileSync(join(dir, 'src/gadget.c'), 'utf8'), 'int gadget(void) { return 7; }\n');
  assert.equal(readFileSync(join(dir, 'CHANGELOG.md'), 'utf8'), 'v1\nv2\n');
  const head = git(['log', '-1', '--format=%H %P%n%an <%ae>%n%s'], { cwd: dir }).stdout.trim().split('\n');
  assert.equal(head[0].split(' ')[0], merged.sha);
  assert.equal(head[0].split(' ').length, 3, 'a merge commit has two parents');
  assert.equal(head[1], 'robot <robot@users.noreply.cove.local>');
  assert.equal(head[2], 'Merge pull request #1 from acme/feature');

  // The web pages show it.
  const page = await fetch(after.html_url, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Gadgets!/);
  const rawDiff = await fetch(`${after.html_url}.diff`, { headers: { authorization: `Bearer ${token}` } });
  assert.match(await rawDiff.text(), /^diff --git/);
});

test('squash and rebase merges; merging twice or a closed pull request fails', async () => {
  const prepare = async (branch, files) => {
    await call('create_branch', { ...repo, branch });
    for (const [path, content] of Object.entries(files)) {
      await call('push_files', { ...repo, branch, message: `Add ${path}`, files: [{ path, content }] });
    }
    return call('create_pull_request', { ...repo, title: `PR ${branch}`, head: branch, base: 'main' });
  };
  const squash = await prepare('squashme', { 'a.txt': 'a\n', 'b.txt': 'b\n' });
  const s = await call('merge_pull_request', { ...repo, pullNumber: squash.number, merge_method: 'squash' });
  const sq = await call('get_commit', { ...repo, sha: s.sha, detail: 'none' });
  assert.equal(sq.parents.length, 1);
  assert.match(sq.commit.message, /^PR squashme \(#\d+\)\n\n\* Add a.txt\n\* Add b.txt/);

  const rebase = await prepare('rebaseme', { 'c.txt': 'c\n', 'd.txt': 'd\n' });
  const r = await call('merge_pull_request', { ...repo, pullNumber: rebase.number, merge_method: 'rebase' });
  const log = await call('list_commits', { ...repo, sha: 'main', perPage: 2 });
  assert.equal(log[0].sha, r.sha);
  assert.deepEqual(log.map((c) => c.commit.message), ['Add d.txt', 'Add c.txt']);

  const again = await callError('merge_pull_request', { ...repo, pullNumber: rebase.number });
  assert.match(again, /405 Pull Request is already merged/);

  const closed = await prepare('closeme', { 'e.txt': 'e\n' });
  const c = await call('update_pull_request', { ...repo, pullNumber: closed.number, state: 'closed' });
  assert.equal(c.state, 'closed');
  const closedMerge = await callError('merge_pull_request', { ...repo, pullNumber: closed.number });
  assert.match(closedMerge, /405 Pull Request is not mergeable: it is closed/);
  const closedList = await call('list_pull_requests', { ...repo, state: 'closed', fields: ['number', 'state'] });
  assert.ok(closedList.some((p) => p.number === closed.number && p.state === 'closed'));

  // Conflicting changes cannot merge.
  await call('create_branch', { ...repo, branch: 'conflict' });
  await call('push_files', { ...repo, branch: 'conflict', message: 'theirs', files: [{ path: 'README.md', content: 'theirs\n' }] });
  await call('push_files', { ...repo, branch: 'main', message: 'ours', files: [{ path: 'README.md', content: 'ours\n' }] });
  const pr = await call('create_pull_request', { ...repo, title: 'conflict', head: 'conflict', base: 'main' });
  const got = await call('pull_request_read', { ...repo, pullNumber: pr.number, method: 'get' });
  assert.equal(got.mergeable, false);
  assert.match(await callError('merge_pull_request', { ...repo, pullNumber: pr.number }), /merge conflict/);
});

test('issues: create, update, list, read, comment', async () => {
  const created = await call('issue_write', { ...repo, method: 'create', title: 'Widgets wobble', body: 'They wobble.', labels: ['bug'] });
  assert.match(created.html_url, /\/acme\/widgets\/issues\/\d+$/);
  const n = created.number;
  await call('add_issue_comment', { ...repo, issue_number: n, body: 'Confirmed.' });
  const updated = await call('issue_write', { ...repo, method: 'update', issue_number: n, state: 'closed', state_reason: 'completed' });
  assert.equal(updated.state, 'closed');
  const issue = await call('issue_read', { ...repo, method: 'get', issue_number: n });
  assert.equal(issue.title, 'Widgets wobble');
  assert.equal(issue.state, 'closed');
  assert.equal(issue.comments, 1);
  assert.deepEqual(issue.labels, ['bug']);
  const comments = await call('issue_read', { ...repo, method: 'get_comments', issue_number: n });
  assert.deepEqual(comments.map((c) => c.body), ['Confirmed.']);
  const labels = await call('issue_read', { ...repo, method: 'get_labels', issue_number: n });
  assert.deepEqual(labels, [{ name: 'bug' }]);
  await call('issue_read', { ...repo, method: 'get_sub_issues', issue_number: n });

  await call('issue_write', { ...repo, method: 'create', title: 'Second' });
  await call('issue_write', { ...repo, method: 'create', title: 'Third' });
  const closed = await call('list_issues', { ...repo, state: 'CLOSED' });
  assert.deepEqual(closed.issues.map((i) => i.number), [n]);
  const page1 = await call('list_issues', { ...repo, perPage: 2 });
  assert.equal(page1.totalCount, 3);
  assert.equal(page1.issues.length, 2);
  assert.equal(page1.pageInfo.hasNextPage, true);
  const page2 = await call('list_issues', { ...repo, perPage: 2, after: page1.pageInfo.endCursor });
  assert.deepEqual(page2.issues.map((i) => i.number), [n]);
  assert.equal(page2.pageInfo.hasNextPage, false);
});

test('bad input: isError results naming the parameter or the failure', async () => {
  assert.equal(await callError('get_file_contents', { owner: 'acme' }), 'missing required parameter: repo');
  assert.equal(await callError('pull_request_read', { ...repo, method: 'get', pullNumber: '1' }),
    'parameter pullNumber is not of type number, is string');
  assert.match(await callError('pull_request_read', { ...repo, method: 'get', pullNumber: 1.5 }), /pullNumber is not a valid number/);
  assert.match(await callError('pull_request_read', { ...repo, method: 'nope', pullNumber: 1 }), /parameter method must be one of: get, get_diff/);
  assert.match(await callError('list_branches', { ...repo, perPage: 1000 }), /perPage must be at most 100/);
  assert.match(await callError('push_files', { ...repo, branch: 'x', message: 'm', files: [{ path: 'a' }] }), /missing required parameter: files\[0\]\.content/);
  assert.match(await callError('list_branches', { owner: 'acme', repo: 'nope' }), /^404 Not Found: repository acme\/nope/);
  assert.match(await callError('get_file_contents', { ...repo, path: 'no/such/file' }), /404 Not Found/);
  assert.match(await callError('get_commit', { ...repo, sha: 'deadbeef' }), /No commit found/);
  assert.match(await callError('create_branch', { ...repo, branch: 'feature' }), /422 Reference already exists/);
  assert.match(await callError('create_pull_request', { ...repo, title: 't', head: 'nope', base: 'main' }), /422 Validation Failed: head branch 'nope'/);
  assert.match(await callError('merge_pull_request', { ...repo, pullNumber: 999 }), /404 Not Found/);
  assert.match(await callError('issue_write', { ...repo, method: 'create' }), /missing required parameter: title/);
  assert.match(await callError('add_issue_comment', { ...repo, issue_number: 1 }), /body or reaction is required/);
  assert.match(await callError('list_commits', { ...repo, since: 'yesterday' }), /invalid since timestamp/);
  assert.match(await callError('search_code', { query: 'x'.repeat(300) }), /longer than 256/);

  // Stale and missing blob SHAs.
  const current = await client.callTool({ name: 'get_file_contents', arguments: { ...repo, path: 'README.md' } });
  const sha = current.content[0].text.match(/SHA: ([0-9a-f]{40})/)[1];
  assert.match(await callError('create_or_update_file', { ...repo, branch: 'main', path: 'README.md', content: 'x', message: 'm' }),
    /File already exists at README.md\. You must provide the current file's SHA/);
  assert.match(await callError('create_or_update_file', { ...repo, branch: 'main', path: 'README.md', content: 'x', message: 'm', sha: '0'.repeat(40) }),
    new RegExp(`SHA mismatch .*Current file SHA is ${sha}`));
  assert.match(await callError('create_or_update_file', { ...repo, branch: 'main', path: '../escape', content: 'x', message: 'm' }), /forbidden component/);

  // An unknown tool is a protocol error.
  await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }), /Unknown tool: no_such_tool/);
});

test('token rights: read-only tokens cannot write, scoped tokens see only their repository, bad tokens cannot connect', async () => {
  const ro = await connect(readOnly);
  try {
    const files = await call('get_file_contents', { ...repo, path: 'src' }, ro);
    assert.ok(Array.isArray(files));
    assert.match(await callError('create_branch', { ...repo, branch: 'ro' }, ro), /^403 Resource not accessible/);
  } finally {
    await ro.close();
  }
  const scopedToken = createToken(forge.home, '--repo', 'acme/secret');
  const scoped = await connect(scopedToken);
  try {
    assert.match(await callError('list_branches', repo, scoped), /^404 Not Found/);
    const hits = await call('search_code', { query: 'widget' }, scoped);
    assert.equal(hits.total_count, 0, 'search must not reach repositories the token cannot read');
  } finally {
    await scoped.close();
  }
  await assert.rejects(connect('ghp_not_a_real_token_at_all_000000000000'), /401|Unauthorized/);
  await assert.rejects(connect(null), /401|Unauthorized/);
  // A revoked token stops working on an open session.
  const doomedToken = createToken(forge.home);
  const doomed = await connect(doomedToken);
  forgeCli(forge.home, 'token', 'revoke', doomedToken);
  await assert.rejects(doomed.callTool({ name: 'list_branches', arguments: repo }), /401|Unauthorized/);
});

test('streamable HTTP answers: 401, 405, 404, 202, parse errors, unknown methods, DELETE', async () => {
  const url = `${forge.url}/mcp/`;
  const auth = { authorization: `Bearer ${token}` };
  const post = (body, headers = {}) => fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...auth, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const noAuth = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(noAuth.status, 401);
  assert.match(noAuth.headers.get('www-authenticate'), /^Bearer/);

  const init = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2099-01-01', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
  assert.equal(init.status, 200);
  const session = init.headers.get('mcp-session-id');
  assert.match(session, /^[0-9a-f]{32}$/);
  assert.equal((await init.json()).result.protocolVersion, '2025-11-25');
  const old = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
  assert.equal((await old.json()).result.protocolVersion, '2025-03-26');

  const s = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
  assert.equal((await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, s)).status, 202);
  const ping = await post({ jsonrpc: '2.0', id: 2, method: 'ping' }, s);
  assert.deepEqual((await ping.json()).result, {});
  const unknown = await (await post({ jsonrpc: '2.0', id: 3, method: 'foo/bar' }, s)).json();
  assert.equal(unknown.error.code, -32601);
  const bad = await post('{not json', s);
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error.code, -32700);
  const noSession = await post({ jsonrpc: '2.0', id: 4, method: 'tools/list' });
  assert.equal(noSession.status, 400);
  const badVersion = await post({ jsonrpc: '2.0', id: 5, method: 'tools/list' }, { ...s, 'mcp-protocol-version': '1999-01-01' });
  assert.equal(badVersion.status, 400);
  const get = await fetch(url, { headers: { accept: 'text/event-stream', ...auth, ...s } });
  assert.equal(get.status, 405);
  const del = await fetch(url, { method: 'DELETE', headers: { ...auth, ...s } });
  assert.equal(del.status, 200);
  const gone = await post({ jsonrpc: '2.0', id: 6, method: 'tools/list' }, s);
  assert.equal(gone.status, 404);
  const batch = await post([{ jsonrpc: '2.0', id: 7, method: 'ping' }], s);
  assert.equal(batch.status, 400);
});

test('web pages: private repositories need a token, every value is escaped', async () => {
  const base = `${forge.url}/acme/widgets`;
  const get = (path, auth = true) => fetch(`${base}${path}`, { headers: auth ? { authorization: `Bearer ${token}` } : {} });
  const anon = await get('', false);
  assert.equal(anon.status, 401);
  assert.equal(anon.headers.get('www-authenticate'), 'Basic realm="cove forge"');
  const home = await get('');
  assert.equal(home.status, 200);
  assert.match(home.headers.get('content-type'), /^text\/html/);
  assert.match(await home.text(), /<h2>README\.md<\/h2><pre>ours\n/);  // as the conflict test left it
  const blob = await (await get('/blob/main/src/widget.c')).text();
  assert.match(blob, /#include &quot;widget\.h&quot;/);
  assert.equal(await (await get('/raw/main/src/widget.c')).text(), '#include "widget.h"\nint widget_count(void) { return 42; }\n');
  assert.match(await (await get('/tree/main/src')).text(), /widget\.h/);
  const [latest] = await call('list_commits', { ...repo, perPage: 1 });
  assert.match(await (await get(`/commit/${latest.sha}`)).text(), /<span class=(add|del)>/);
  assert.match(await (await get('/pulls')).text(), /Gadgets!/);
  const evil = await call('issue_write', { ...repo, method: 'create', title: '<script>alert(1)</script>', body: '"quoted" & <b>bold</b>' });
  const issuePage = await (await get(`/issues/${evil.number}`)).text();
  assert.match(issuePage, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(issuePage, /&quot;quoted&quot; &amp; &lt;b&gt;bold&lt;\/b&gt;/);
  assert.equal(issuePage.includes('<script>'), false);
  assert.equal((await get('/no/such/page')).status, 404);
  assert.equal((await get('/pull/999')).status, 404);
  const index = await (await fetch(`${forge.url}/`)).text();
  assert.equal(index.includes('acme/widgets'), false, 'private repositories are not listed');
});

test('concurrent writes to one branch lose nothing', async () => {
  await call('create_branch', { ...repo, branch: 'busy' });
  const clients = await Promise.all([1, 2, 3].map(() => connect(token)));
  try {
    await Promise.all(Array.from({ length: 12 }, (_, i) => call('push_files', {
      ...repo, branch: 'busy', message: `parallel ${i}`, files: [{ path: `parallel/${i}.txt`, content: `${i}\n` }],
    }, clients[i % 3])));
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
  const listing = await call('get_file_contents', { ...repo, path: 'parallel', ref: 'refs/heads/busy', fields: ['name'] });
  assert.equal(listing.length, 12);
  const log = await call('list_commits', { ...repo, sha: 'busy', perPage: 12, fields: ['commit'] });
  assert.equal(log.filter((c) => c.commit.message.startsWith('parallel ')).length, 12);
});

test('every tool was called', () => {
  assert.deepEqual([...called].sort(), EXPECTED_TOOLS);
});

test('latency of tools/call: get_file_contents and create_pull_request (p50)', async (t) => {
  const reads = [];
  for (let i = 0; i < 50; i++) {
    const start = performance.now();
    await call('get_file_contents', { ...repo, path: 'README.md' });
    reads.push(performance.now() - start);
  }
  const creates = [];
  for (let i = 0; i < 20; i++) {
    await call('create_branch', { ...repo, branch: `bench-${i}` });
    await call('push_files', { ...repo, branch: `bench-${i}`, message: 'bench', files: [{ path: `bench/${i}.txt`, content: `${i}\n` }] });
    const start = performance.now();
    await call('create_pull_request', { ...repo, title: `bench ${i}`, head: `bench-${i}`, base: 'main' });
    creates.push(performance.now() - start);
  }
  t.diagnostic(`get_file_contents p50 ${percentile(reads, 50).toFixed(2)} ms (p90 ${percentile(reads, 90).toFixed(2)} ms, n=50)`);
  t.diagnostic(`create_pull_request p50 ${percentile(creates, 50).toFixed(2)} ms (p90 ${percentile(creates, 90).toFixed(2)} ms, n=20)`);
});

test('cove mcp tools / call against the forge', async () => {
  const url = `${forge.url}/mcp/`;
  const env = { ...process.env, FORGE_TOKEN: token };
  const tools = await run(coveBin, ['mcp', 'tools', url, '--bearer-env', 'FORGE_TOKEN'], { env });
  assert.match(tools.stdout, /^17 tools$/m);
  assert.match(tools.stdout, /^merge_pull_request/m);
  const file = await run(coveBin, ['mcp', 'call', url, 'get_file_contents', JSON.stringify({ ...repo, path: 'src/widget.h' }), '--bearer-env', 'FORGE_TOKEN'], { env });
  assert.match(file.stdout, /int widget_count\(void\);/);
  const prs = await run(coveBin, ['mcp', 'call', url, 'list_pull_requests', JSON.stringify({ ...repo, state: 'all' }), '--bearer-env', 'FORGE_TOKEN'], { env });
  assert.match(prs.stdout, /"number":1/);
  await assert.rejects(
    run(coveBin, ['mcp', 'call', url, 'get_file_contents', JSON.stringify({ owner: 'acme' }), '--bearer-env', 'FORGE_TOKEN'], { env }),
    (e) => /missing required parameter: repo/.test(e.stdout) && /tool reported an error/.test(e.stderr));
  await assert.rejects(run(coveBin, ['mcp', 'tools', url]), (e) => /401/.test(e.stderr));
});
