// A git smart-HTTP server for the git proxy tests: `git http-backend` as CGI behind HTTP Basic
// auth (user x-access-token), on 127.0.0.1 of the host. Prints "PORT <n>".
// Environment:
//   GIT_ROOT      the directory holding the bare repositories
//   TOKENS_FILE   the accepted tokens, one a line, read on every request (so a test can rotate
//                 and revoke them while the server runs)
//   LOG_FILE      gets one line a request: METHOD PATH auth=ok|bad|none te=... ce=...
//                 (never a token)
// Paths under /moved/ answer 301 to /repo.git/...
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';

const root = process.env.GIT_ROOT;
const tokensFile = process.env.TOKENS_FILE;
const logFile = process.env.LOG_FILE;

function accepted(authorization) {
  const tokens = fs.readFileSync(tokensFile, 'utf8').split('\n').filter(Boolean);
  return tokens.some(
      (t) => authorization === 'Basic ' + Buffer.from('x-access-token:' + t).toString('base64'));
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://git');
  const auth = req.headers.authorization || '';
  const ok = auth !== '' && accepted(auth);
  if (logFile) {
    fs.appendFileSync(logFile, `${req.method} ${url.pathname} auth=${auth ? (ok ? 'ok' : 'bad') : 'none'}` +
                                   ` te=${req.headers['transfer-encoding'] || ''}` +
                                   ` ce=${req.headers['content-encoding'] || ''}\n`);
  }
  if (url.pathname.startsWith('/moved/')) {  // a repository that moved elsewhere
    req.resume();
    res.writeHead(301, {location: '/repo.git' + url.pathname.slice('/moved'.length) + url.search});
    res.end();
    return;
  }
  if (!ok) {
    req.resume();
    res.writeHead(401, {'www-authenticate': 'Basic realm="cove-test"', 'content-type': 'text/plain'});
    res.end('authentication required\n');
    return;
  }
  const env = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    GIT_HTTP_MAX_REQUEST_BUFFER: '1000M',
    PATH_INFO: url.pathname,
    QUERY_STRING: url.search.slice(1),
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
    let status = 200;
    const headers = {};
    for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'status') status = Number(value.split(' ')[0]);
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    started = true;
    res.write(head.subarray(end + 4));
  });
  cgi.stdout.on('end', () => {
    if (!started) res.writeHead(500);
    res.end();
  });
});
server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
