// Starts `cove forge` on a free loopback port with a fresh home, and runs the admin CLI and
// the git CLI against it, for the forge's integration tests.
import { spawnSync, execFileSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { coveBin, tempDir, removeDir, startProcess, stopProcess } from '../support/process.mjs';

export { coveBin, tempDir, removeDir };

// Resolves once the forge prints its address.
export async function startForge({ home = tempDir('cove-forge-test-') } = {}) {
  const { proc, match, output } = await startProcess(coveBin, ['forge', '--home', home, '--listen', '127.0.0.1:0']);
  return { proc, home, url: match[1], output, stop: () => stopProcess(proc) };
}

// `cove forge --home HOME ARGS…`; returns stdout (throws with stderr on failure).
export function forgeCli(home, ...args) {
  return execFileSync(coveBin, ['forge', '--home', home, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function createToken(home, ...args) {
  return forgeCli(home, 'token', 'create', ...args).trim();
}

// A directory of files: { 'path/in/dir': 'content' }.
export function writeTree(dir, files) {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

// git with no user configuration and no prompts; returns { status, stdout, stderr }.
export function git(args, { cwd, env = {} } = {}) {
  const home = gitHome();
  const r = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: home,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
      ...env,
    },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let gitHomeDir;
function gitHome() {
  if (!gitHomeDir) gitHomeDir = tempDir('cove-forge-git-home-');
  return gitHomeDir;
}

// http://x:TOKEN@host/path: credentials in the URL (fine in tests, never in production code).
export function withToken(url, token) {
  const u = new URL(url);
  u.username = 'x';
  u.password = token;
  return u.toString();
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
