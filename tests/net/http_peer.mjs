// HTTP(S) peer for cove's net/ client tests. Loopback only; prints "PORT <n>" once listening.
//   env: CERT, KEY  (PEM files) serve HTTPS instead of HTTP; KEEPALIVE_MS idle connection limit
import http from 'node:http';
import https from 'node:https';
import fs from 'node:fs';

function handler(req, res) {
  const url = new URL(req.url, 'http://x');
  switch (url.pathname) {
    case '/hello':
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('hello');
      return;
    case '/echo': {
      const chunks = [];
      req.on('data', c => chunks.push(c));
      req.on('end', () => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({
        method: req.method, body: Buffer.concat(chunks).toString(), headers: req.headers })));
      return;
    }
    case '/chunks':  // chunked body in three pieces, 300 ms apart
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('one,');
      setTimeout(() => res.write('two,'), 300);
      setTimeout(() => res.end('three'), 600);
      return;
    case '/events':
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write(': hello\n\nid: 1\ndata: first\n\n');
      setTimeout(() => res.end('id: 2\nretry: 50\ndata: second\ndata: more\n\n'), 200);
      return;
    case '/big':
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      for (let i = 0; i < 80; i++) res.write(Buffer.alloc(65536, 97));
      res.end();
      return;
    case '/port':  // the client's source port: equal across requests iff the connection was reused
      res.writeHead(200).end(String(req.socket.remotePort));
      return;
    case '/close':  // answers, then closes the connection despite keep-alive
      res.writeHead(200, { Connection: 'close' }).end('bye');
      return;
    case '/slow':
      setTimeout(() => res.writeHead(200).end('late'), 3000);
      return;
    case '/redirect-here':
      res.writeHead(302, { Location: '/hello' }).end();
      return;
    case '/redirect-away':
      res.writeHead(302, { Location: 'http://127.0.0.2:9/elsewhere' }).end();
      return;
    default:
      res.writeHead(404).end('not found');
  }
}

const server = process.env.CERT
  ? https.createServer({ cert: fs.readFileSync(process.env.CERT), key: fs.readFileSync(process.env.KEY) }, handler)
  : http.createServer(handler);
server.keepAliveTimeout = Number(process.env.KEEPALIVE_MS || 60000);
server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
