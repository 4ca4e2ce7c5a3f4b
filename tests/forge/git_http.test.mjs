// The git CLI against `cove forge`: clone, push, and pushes refused without a token, with a
// revoked one, a read-only one, or one limited to another repository (GitHub's 401 / 403).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createHash } from 'node:crypto';
import {
  startForge, forgeCli, createToken, writeTree, git, withToken, tempDir, removeDir,
} from './harness.mjs';

let forge;
let work;
let token;
let readOnly;
let otherRepoToken;

before(async () => {
  forge = await startForge();
  work = tempDir();
  const src = writeTree(join(work, 'src'), { 'README.md': '# demo\n', 'src/main.c': 'int main(void) { return 0; }\n' });
  forgeCli(forge.home, 'repo', 'create', 'alice/demo', '--from', src);
  forgeCli(forge.home, 'repo', 'create', 'alice/other');
  forgeCli(forge.home, 'repo', 'create', 'alice/open', '--public', '--from', src);
  token = createToken(forge.home);
  readOnly = createToken(forge.home, '--read-only');
  otherRepoToken = createToken(forge.home, '--repo', 'alice/other');
});

after(async () => {
  await forge.stop();
  removeDir(forge.home);
  removeDir(work);
});

const repoUrl = (name) => `${forge.url}/${name}.git`;

function commitChange(dir, file, text) {
  writeTree(dir, { [file]: text });
  assert.equal(git(['add', '-A'], { cwd: dir }).status, 0);
  assert.equal(git(['commit', '-qm', `change ${file}`], { cwd: dir }).status, 0);
}

test('tokens are GitHub-shaped and never stored in clear', () => {
  assert.match(token, /^ghp_[0-9A-Za-z]{36}$/);
  // The running forge keeps its connection open, so a new row usually sits in the WAL.
  const wal = join(forge.home, 'forge.db-wal');
  const db = Buffer.concat([readFileSync(join(forge.home, 'forge.db')), existsSync(wal) ? readFileSync(wal) : Buffer.alloc(0)]);
  assert.equal(db.includes(token), false, 'the database holds the token in clear');
  const hash = createHash('sha256').update(token).digest('hex');
  assert.equal(db.includes(hash), true, 'the token row (its hash) was not found: the check would prove nothing');
  const listing = forgeCli(forge.home, 'token', 'list');
  assert.equal(listing.includes(token), false);
  assert.match(listing, /read-only/);
});

test('clone and push with a token; the push is visible to the next clone', (t) => {
  const dir = join(work, 'clone1');
  const start = performance.now();
  const r = git(['clone', '-q', withToken(repoUrl('alice/demo'), token), dir]);
  const ms = performance.now() - start;
  assert.equal(r.status, 0, r.stderr);
  t.diagnostic(`git clone of a small repository: ${ms.toFixed(1)} ms`);
  assert.equal(readFileSync(join(dir, 'README.md'), 'utf8'), '# demo\n');
  commitChange(dir, 'NOTES.md', 'pushed over HTTP\n');
  const push = git(['push', '-q', 'origin', 'main'], { cwd: dir });
  assert.equal(push.status, 0, push.stderr);

  const again = join(work, 'clone2');
  assert.equal(git(['clone', '-q', withToken(repoUrl('alice/demo'), token), again]).status, 0);
  assert.equal(readFileSync(join(again, 'NOTES.md'), 'utf8'), 'pushed over HTTP\n');
  // A new branch too.
  assert.equal(git(['checkout', '-qb', 'topic'], { cwd: again }).status, 0);
  commitChange(again, 'topic.txt', 'topic\n');
  assert.equal(git(['push', '-q', 'origin', 'topic'], { cwd: again }).status, 0);
  const refs = git(['ls-remote', withToken(repoUrl('alice/demo'), token)]);
  assert.match(refs.stdout, /refs\/heads\/topic/);
});

test('a bearer token in http.extraHeader works, and the name may omit .git', () => {
  const dir = join(work, 'clone-bearer');
  const r = git(['-c', `http.extraHeader=Authorization: Bearer ${token}`, 'clone', '-q', `${forge.url}/alice/demo`, dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(join(dir, 'src/main.c')));
});

test('a private repository without credentials: 401 with a Basic challenge', async () => {
  const r = git(['clone', '-q', repoUrl('alice/demo'), join(work, 'anon')]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /could not read Username|Authentication failed|401/);
  const res = await fetch(`${repoUrl('alice/demo')}/info/refs?service=git-upload-pack`);
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('www-authenticate'), 'Basic realm="cove forge"');
  // Unknown repositories look the same to anonymous callers.
  const missing = await fetch(`${repoUrl('alice/nope')}/info/refs?service=git-upload-pack`);
  assert.equal(missing.status, 401);
  const withAuth = await fetch(`${repoUrl('alice/nope')}/info/refs?service=git-upload-pack`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(withAuth.status, 404);
});

test('a read-only token fetches but cannot push (403)', async () => {
  const dir = join(work, 'ro');
  assert.equal(git(['clone', '-q', withToken(repoUrl('alice/demo'), readOnly), dir]).status, 0);
  commitChange(dir, 'ro.txt', 'nope\n');
  const push = git(['push', 'origin', 'main'], { cwd: dir });
  assert.notEqual(push.status, 0);
  assert.match(push.stderr, /403/);
  assert.match(push.stderr, /Permission to alice\/demo\.git denied/);
  const res = await fetch(`${repoUrl('alice/demo')}/info/refs?service=git-receive-pack`, {
    headers: { authorization: `Bearer ${readOnly}` },
  });
  assert.equal(res.status, 403);
});

test('a token limited to another repository: 404 for reads, 403 for pushes', async () => {
  const r = git(['clone', '-q', withToken(repoUrl('alice/demo'), otherRepoToken), join(work, 'scoped')]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /not found|404/i);
  const res = await fetch(`${repoUrl('alice/demo')}/info/refs?service=git-receive-pack`, {
    headers: { authorization: `Bearer ${otherRepoToken}` },
  });
  assert.equal(res.status, 403);
  // Its own repository (empty) accepts a push.
  const dir = join(work, 'own');
  assert.equal(git(['init', '-q', '-b', 'main', dir]).status, 0);
  commitChange(dir, 'first.txt', 'first\n');
  const push = git(['push', '-q', withToken(repoUrl('alice/other'), otherRepoToken), 'main'], { cwd: dir });
  assert.equal(push.status, 0, push.stderr);
});

test('a revoked token is refused with 401', async () => {
  const doomed = createToken(forge.home);
  const dir = join(work, 'revoked');
  assert.equal(git(['clone', '-q', withToken(repoUrl('alice/demo'), doomed), dir]).status, 0);
  forgeCli(forge.home, 'token', 'revoke', doomed);
  commitChange(dir, 'late.txt', 'late\n');
  const push = git(['push', 'origin', 'main'], { cwd: dir });
  assert.notEqual(push.status, 0);
  assert.match(push.stderr, /Authentication failed|401/);
  const res = await fetch(`${repoUrl('alice/demo')}/info/refs?service=git-upload-pack`, {
    headers: { authorization: `Bearer ${doomed}` },
  });
  assert.equal(res.status, 401);
  // Revoking by id works as well.
  const byId = createToken(forge.home);
  const id = forgeCli(forge.home, 'token', 'list').trim().split('\n').pop().split('\t')[0];
  forgeCli(forge.home, 'token', 'revoke', id);
  const res2 = await fetch(`${repoUrl('alice/demo')}/info/refs?service=git-upload-pack`, {
    headers: { authorization: `Bearer ${byId}` },
  });
  assert.equal(res2.status, 401);
});

test('a public repository: anonymous clone, but pushes need a token', () => {
  const dir = join(work, 'public');
  const r = git(['clone', '-q', repoUrl('alice/open'), dir]);
  assert.equal(r.status, 0, r.stderr);
  commitChange(dir, 'anon.txt', 'anon\n');
  const push = git(['push', 'origin', 'main'], { cwd: dir });
  assert.notEqual(push.status, 0);
  assert.match(push.stderr, /could not read Username|401/);
  const ok = git(['push', '-q', withToken(repoUrl('alice/open'), token), 'main'], { cwd: dir });
  assert.equal(ok.status, 0, ok.stderr);
});

test('repo create --from a git repository imports its branches; names are checked', () => {
  const src = join(work, 'gitsrc');
  assert.equal(git(['init', '-q', '-b', 'trunk', src]).status, 0);
  commitChange(src, 'a.txt', 'a\n');
  assert.equal(git(['branch', 'side'], { cwd: src }).status, 0);
  forgeCli(forge.home, 'repo', 'create', 'bob/imported', '--from', src);
  const refs = git(['ls-remote', '--symref', withToken(repoUrl('bob/imported'), token)]);
  assert.equal(refs.status, 0, refs.stderr);
  assert.match(refs.stdout, /ref: refs\/heads\/trunk\tHEAD/);
  assert.match(refs.stdout, /refs\/heads\/side/);
  assert.throws(() => forgeCli(forge.home, 'repo', 'create', 'bob/imported'), /already exists/);
  assert.throws(() => forgeCli(forge.home, 'repo', 'create', 'bad name/x'), /may only contain/);
});

test('a large push goes through (several MiB, chunked and gzip bodies)', () => {
  const dir = join(work, 'big');
  assert.equal(git(['clone', '-q', withToken(repoUrl('alice/demo'), token), dir]).status, 0);
  const noise = [];
  let x = 12345;
  for (let i = 0; i < 400000; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    noise.push((x >> 8).toString(36));
  }
  writeTree(dir, { 'big.txt': noise.join('\n') });
  assert.equal(git(['add', '-A'], { cwd: dir }).status, 0);
  assert.equal(git(['commit', '-qm', 'big'], { cwd: dir }).status, 0);
  const push = git(['push', '-q', 'origin', 'main'], { cwd: dir });
  assert.equal(push.status, 0, push.stderr);
  const again = join(work, 'big2');
  assert.equal(git(['clone', '-q', withToken(repoUrl('alice/demo'), token), again]).status, 0);
  assert.equal(readFileSync(join(again, 'big.txt'), 'utf8'), noise.join('\n'));
});
