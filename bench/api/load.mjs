// A small load tool for `cove serve`: requests/s and p50/p99 for session create, event send
// and event list at 1 and 64 concurrent clients; SSE fan-out latency; RSS per idle session.
import http from 'node:http';
import { readFileSync } from 'node:fs';

const [base, key, pid] = process.argv.slice(2);
const url = new URL(base);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function request(method, path, body) {
  return new Promise((resolve, reject) => {
    const data = body ? JSON.stringify(body) : null;
    const req = http.request({ host: url.hostname, port: url.port, method, path, agent,
      headers: { 'x-api-key': key, ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) } }, (res) => {
      let buf = '';
      res.on('data', (d) => (buf += d));
      res.on('end', () => (res.statusCode < 300 ? resolve(JSON.parse(buf)) : reject(new Error(`${res.statusCode} ${buf}`))));
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function run(name, concurrency, total, op) {
  const lat = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) {
      const i = next++;
      const s = performance.now();
      await op(i);
      lat.push(performance.now() - s);
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  console.log(`${name.padEnd(28)} c=${String(concurrency).padStart(2)}  ${(total / secs).toFixed(0).padStart(6)} req/s  p50 ${pct(lat, 50).toFixed(2)} ms  p99 ${pct(lat, 99).toFixed(2)} ms`);
}

const rss = () => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);

const a = await request('POST', '/v1/agents', { name: 'bench', model: 'm' });
const e = await request('POST', '/v1/environments', { name: 'bench-env' });
const mk = () => request('POST', '/v1/sessions', { agent: a.id, environment_id: e.id });
const s = await mk();
const msg = { events: [{ type: 'user.message', content: [{ type: 'text', text: 'hello' }] }] };
for (const c of [1, 64]) {
  await run('session create', c, c === 1 ? 500 : 3000, () => mk());
  await run('event send (durable)', c, c === 1 ? 1000 : 10000, () => request('POST', `/v1/sessions/${s.id}/events`, msg));
  await run('event list (limit 20)', c, c === 1 ? 1000 : 5000, () => request('GET', `/v1/sessions/${s.id}/events?limit=20`));
}

// Fan-out: 100 subscribers on one session; latency from send to each subscriber's frame.
const fan = await mk();
const subs = await Promise.all(Array.from({ length: 100 }, () => new Promise((resolve) => {
  const req = http.request({ host: url.hostname, port: url.port, path: `/v1/sessions/${fan.id}/events/stream`, headers: { 'x-api-key': key } }, (res) => {
    const sub = { waiters: [], buf: '' };
    res.setEncoding('utf8');
    res.on('data', (d) => {
      sub.buf += d;
      if (sub.buf.includes('event: user.message')) {
        sub.buf = '';
        const now = performance.now();
        sub.waiters.splice(0).forEach((w) => w(now));
      }
    });
    resolve(sub);
  });
  req.end();
})));
const fanLat = [];
for (let round = 0; round < 50; round++) {
  const got = subs.map((sub) => new Promise((r) => sub.waiters.push(r)));
  const t = performance.now();
  await request('POST', `/v1/sessions/${fan.id}/events`, msg);
  for (const at of await Promise.all(got)) fanLat.push(at - t);
  await new Promise((r) => setTimeout(r, 5));
}
fanLat.sort((x, y) => x - y);
console.log(`fan-out to 100 SSE subscribers  p50 ${pct(fanLat, 50).toFixed(2)} ms  p99 ${pct(fanLat, 99).toFixed(2)} ms  (send → frame, includes the durable commit)`);

const before = rss();
for (let i = 0; i < 1000; i += 50) await Promise.all(Array.from({ length: 50 }, () => mk()));
const after = rss();
console.log(`daemon RSS ${before} KiB → ${after} KiB after 1000 more idle sessions: ${((after - before) / 1000).toFixed(1)} KiB per idle session`);
process.exit(0);
