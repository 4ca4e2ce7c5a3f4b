// What the two fake model servers (model_server.mjs: Messages API, chat_server.mjs: chat
// completions) share: a script of turns played in order with every request recorded, the
// control endpoints for tests in other languages, the HTTP server on 127.0.0.1, and the command
// line. Each server brings only its request checks and its wire format.
import http from 'node:http';
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

export function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// `text` in up to `pieces` parts, never splitting a character.
export function split(text, pieces = 3) {
  const chars = Array.from(text);
  if (chars.length === 0) return [];
  const out = [];
  for (let i = 0; i < pieces; i++) {
    const part = chars.slice(Math.floor(chars.length * i / pieces), Math.floor(chars.length * (i + 1) / pieces)).join('');
    if (part) out.push(part);
  }
  return out;
}

// Breaks the connection mid-body: what was written still arrives, the body never ends.
export function cut(res) {
  const socket = res.socket;
  if (!socket) return;
  socket.end();
  setTimeout(() => socket.destroy(), 50).unref();
}

export function readBody(req, maxBytes = Infinity) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', c => {
      size += c.length;
      if (size > maxBytes) { reject(new Error('request body too large')); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// The turns still to play and the requests played so far. `requests`, `headers` and `ports`
// (the client's source port per request: equal when a connection was reused) keep their
// identity across resets, so a server can hand them out once.
export class Script {
  constructor(turns, check = () => {}) {
    this.check = check;
    this.requests = [];
    this.headers = [];
    this.ports = [];
    this.reset(turns);
  }
  // Replaces the script and forgets past requests.
  reset(turns) {
    this.check(turns);
    this.turns = [...turns];
    this.played = 0;
    this.requests.length = 0;
    this.headers.length = 0;
    this.ports.length = 0;
  }
  record(req, body) {
    this.requests.push(body);
    this.headers.push({ ...req.headers });
    this.ports.push(req.socket.remotePort);
  }
  // The next turn, or undefined when all were played.
  next() {
    return this.played < this.turns.length ? this.turns[this.played++] : undefined;
  }
}

// Serves `route` (method and path → async (req, res), or null when not served) and the control
// endpoints (POST /_control/turns {turns} replaces the script; GET /_control/requests answers
// {played, requests, headers, ports}) on 127.0.0.1:port. `sendError(res, status, message)`
// answers in the server's own error format.
export async function serveScript({ name, port, script, route, sendError, log = () => {} }) {
  async function control(req, res, path) {
    if (req.method === 'POST' && path === '/_control/turns') {
      const body = JSON.parse(await readBody(req));
      const next = Array.isArray(body) ? body : body.turns;
      if (!Array.isArray(next)) throw new Error('POST /_control/turns needs {turns:[...]}');
      script.reset(next);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ turns: next.length }));
      return;
    }
    if (req.method === 'GET' && path === '/_control/requests') {
      const { played, requests, headers, ports } = script;
      res.writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ played, requests, headers, ports }));
      return;
    }
    sendError(res, 404, `no control endpoint ${req.method} ${path}`);
  }

  const server = http.createServer((req, res) => {
    const path = new URL(req.url, 'http://localhost').pathname;
    const handler = route(req.method, path);
    const work = handler ? handler(req, res)
      : path.startsWith('/_control/') ? control(req, res, path)
        : Promise.resolve(sendError(res, 404, `${req.method} ${path} is not served here`));
    work.catch(err => {
      log('error:', err.message);
      if (!res.headersSent) sendError(res, 400, `${name}: ${err.message}`);
      else res.destroy();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    port: server.address().port,
    close() {
      server.closeAllConnections();
      return new Promise(resolve => server.close(() => resolve()));
    },
  };
}

// True when the module at `moduleUrl` is the program node runs.
export function isMain(moduleUrl) {
  return Boolean(process.argv[1]) && moduleUrl === pathToFileURL(process.argv[1]).href;
}

// The command line of a fake model server: --script FILE [--port N] [--api-key KEY]
// [--verbose]. Starts the server with the parsed script, prints "PORT <n>" on stdout, and
// stops on SIGTERM or SIGINT; exits 2 with the reason when it cannot start.
export async function runCommandLine({ name, parseScript, start, describe = () => null }) {
  try {
    const args = { port: 0, script: null, apiKey: null, verbose: false };
    const argv = process.argv.slice(2);
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      if (a === '--script') args.script = argv[++i];
      else if (a === '--port') args.port = Number(argv[++i]);
      else if (a === '--api-key') args.apiKey = argv[++i];
      else if (a === '--verbose') args.verbose = true;
      else throw new Error(`unknown argument '${a}' (use --script FILE [--port N] [--api-key KEY] [--verbose])`);
    }
    if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) throw new Error('--port needs a port number');
    const turns = args.script ? parseScript(fs.readFileSync(args.script, 'utf8'), args.script) : [];
    const server = await start({ turns, port: args.port, apiKey: args.apiKey, verbose: args.verbose });
    console.log(`PORT ${server.port}`);
    const banner = describe(server, turns);
    if (banner) console.error(`${name}: ${banner}`);
    const stop = () => server.close().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  } catch (e) {
    console.error(`${name}: ${e.message}`);
    process.exit(2);
  }
}
