// An origin server for the egress proxy tests, on 127.0.0.1 of the host.
// Usage: node origin.mjs http | node origin.mjs https CERT KEY   (prints "PORT <n>")
// Paths:
//   /hello             a short text
//   /headers           the request's headers as JSON
//   /big?n=BYTES       BYTES bytes of 'x' with a Content-Length, written with backpressure
//   /drip?n=COUNT      chunked: "tick" every 100 ms, COUNT times
//   /upload            reads the body; answers {bytes, gap_ms, chunked}: gap_ms is the time
//                      between its first byte and its end (a proxy that buffers bodies makes
//                      it ~0 even when the sender paused)
//   /redirect?to=URL   302 to URL;  /chain?n=K  302 to /chain?n=K-1 until K is 0
//   /html              a small HTML page
//   /hang              never answers
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const [mode, certFile, keyFile] = process.argv.slice(2);
const tls = mode === 'https';

function handler(req, res) {
  const url = new URL(req.url, 'http://origin');
  const q = url.searchParams;
  switch (url.pathname) {
    case '/hello':
      res.end(`hello from origin${tls ? ' (tls)' : ''}\n`);
      return;
    case '/headers':
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(req.headers));
      return;
    case '/big': {
      let left = Number(q.get('n') || 0);
      res.writeHead(200, {'content-type': 'application/octet-stream', 'content-length': left});
      const chunk = Buffer.alloc(256 * 1024, 'x');
      const pump = () => {
        while (left > 0) {
          const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
          left -= piece.length;
          if (!res.write(piece)) return res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return;
    }
    case '/drip': {
      let n = Number(q.get('n') || 10);
      res.writeHead(200, {'content-type': 'text/plain'});
      const t = setInterval(() => {
        res.write('tick\n');
        if (--n <= 0) {
          clearInterval(t);
          res.end();
        }
      }, 100);
      res.on('close', () => clearInterval(t));
      return;
    }
    case '/upload': {
      let bytes = 0, first = 0;
      req.on('data', (d) => {
        if (!first) first = Date.now();
        bytes += d.length;
      });
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({
          bytes,
          gap_ms: first ? Date.now() - first : 0,
          chunked: req.headers['transfer-encoding'] || '',
        }));
      });
      return;
    }
    case '/redirect':
      res.writeHead(302, {location: q.get('to')});
      res.end();
      return;
    case '/chain': {
      const n = Number(q.get('n') || 0);
      if (n > 0) {
        res.writeHead(302, {location: `/chain?n=${n - 1}`});
        res.end();
      } else {
        res.end('end of chain\n');
      }
      return;
    }
    case '/html':
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end('<html><head><title>Origin page</title><script>secret()</script></head>' +
              '<body><h1>Welcome</h1><p>Fish &amp; chips</p></body></html>');
      return;
    case '/hang':
      return;
    default:
      res.writeHead(404);
      res.end('not found\n');
  }
}

const server = tls ? https.createServer({cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile)}, handler)
                   : http.createServer(handler);
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
