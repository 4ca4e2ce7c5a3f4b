// The git smart-HTTP server of the tests (mounts, netproxy): `git http-backend` as CGI behind
// HTTP Basic auth (user x-access-token), on 127.0.0.1. Prints "PORT <n>" once listening.
// Environment (tokens never in argv, so they stay out of /proc/*/cmdline):
//   GIT_ROOT               the directory holding the repositories
//   TOKENS_FILE            the accepted tokens, one a line, read on every request (so a test can
//                          rotate and revoke them while the server runs)
//   FORBIDDEN_TOKENS_FILE  optional: tokens that authenticate but may read nothing (403)
//   LOG_FILE               optional: one line a request, METHOD PATH auth=ok|bad|none te=... ce=...
//                          (never a token)
// Paths:
//   /public/...  served without a token
//   /moved/...   answer 301 to /repo.git/...
//   /die/...     as the rest of the path, but upload-pack responses are cut off mid-pack
//   /hang/...    accepted and never answered
// While GIT_ROOT/die-now exists, every upload-pack response is cut off as under /die/.
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const root = process.env.GIT_ROOT;
const tokensFile = process.env.TOKENS_FILE;
const forbiddenFile = process.env.FORBIDDEN_TOKENS_FILE;
const logFile = process.env.LOG_FILE;

function basic(token) {
  return 'Basic ' + Buffer.from('x-access-token:' + token).toString('base64');
}

function listed(file, authorization) {
  if (!file) return false;
  const tokens = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return tokens.some((t) => authorization === basic(t));
}

// The CGI's "Status:" and other header lines, and where its body starts.
function parseCgiHead(head) {
  let status = 200;
  const headers = {};
  for (const line of head.toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'status') status = Number(value.split(' ')[0]);
    else headers[name] = value;
  }
  return {status, headers};
}

function backend(req, pathname, search) {
  const env = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    GIT_HTTP_MAX_REQUEST_BUFFER: '1000M',
    PATH_INFO: pathname,
    QUERY_STRING: search.slice(1),
    REQUEST_METHOD: req.method,
    CONTENT_TYPE: req.headers['content-type'] || '',
    REMOTE_USER: 'x-access-token',
    REMOTE_ADDR: '127.0.0.1',
  };
  if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
  if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
  if (req.headers['git-protocol']) env.GIT_PROTOCOL = req.headers['git-protocol'];
  const cgi = spawn('git', ['http-backend'], {env, stdio: ['pipe', 'pipe', 'inherit']});
  req.pipe(cgi.stdin);
  cgi.stdin.on('error', () => {});
  return cgi;
}

// Streams the CGI's answer as it comes.
function relay(cgi, res) {
  let head = Buffer.alloc(0);
  let started = false;
  cgi.stdout.on('data', (data) => {
    if (started) {
      if (!res.write(data)) {
        cgi.stdout.pause();
        res.once('drain', () => cgi.stdout.resume());
      }
      return;
    }
    head = Buffer.concat([head, data]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    const {status, headers} = parseCgiHead(head.subarray(0, end));
    res.writeHead(status, headers);
    started = true;
    res.write(head.subarray(end + 4));
  });
  cgi.stdout.on('end', () => {
    if (!started) res.writeHead(500);
    res.end();
  });
}

// Promises the whole answer (Content-Length), sends a third of it, then drops the connection.
function relayCutOff(cgi, res) {
  const parts = [];
  cgi.stdout.on('data', (data) => parts.push(data));
  cgi.stdout.on('end', () => {
    const out = Buffer.concat(parts);
    const end = out.indexOf('\r\n\r\n');
    const {status, headers} = parseCgiHead(out.subarray(0, Math.max(end, 0)));
    const payload = out.subarray(end + 4);
    res.writeHead(status, {...headers, 'content-length': payload.length});
    res.write(payload.subarray(0, Math.max(1, Math.floor(payload.length / 3))), () => {
      res.socket?.end();
      setTimeout(() => res.socket?.destroy(), 50).unref();
    });
  });
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://git');
  const auth = req.headers.authorization || '';
  const ok = auth !== '' && listed(tokensFile, auth);
  if (logFile) {
    fs.appendFileSync(logFile, `${req.method} ${url.pathname} auth=${auth ? (ok ? 'ok' : 'bad') : 'none'}` +
                                   ` te=${req.headers['transfer-encoding'] || ''}` +
                                   ` ce=${req.headers['content-encoding'] || ''}\n`);
  }
  let pathname = url.pathname;
  let mode = null;
  for (const prefix of ['/die/', '/hang/']) {
    if (pathname.startsWith(prefix)) {
      mode = prefix.slice(1, -1);
      pathname = pathname.slice(prefix.length - 1);
    }
  }
  if (fs.existsSync(path.join(root, 'die-now'))) mode = 'die';
  if (mode === 'hang') {
    req.resume();
    return;
  }
  if (pathname.startsWith('/moved/')) {  // a repository that moved elsewhere
    req.resume();
    res.writeHead(301, {location: '/repo.git' + pathname.slice('/moved'.length) + url.search});
    res.end();
    return;
  }
  if (!pathname.startsWith('/public/')) {
    if (auth !== '' && listed(forbiddenFile, auth)) {
      req.resume();
      res.writeHead(403, {'content-type': 'text/plain'});
      res.end('forbidden\n');
      return;
    }
    if (!ok) {
      req.resume();
      res.writeHead(401, {'www-authenticate': 'Basic realm="cove-test"', 'content-type': 'text/plain'});
      res.end('authentication required\n');
      return;
    }
  }
  const cgi = backend(req, pathname, url.search);
  if (mode === 'die' && req.method === 'POST' && pathname.endsWith('/git-upload-pack')) relayCutOff(cgi, res);
  else relay(cgi, res);
});
server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
