// The sessions benchmark: see run.sh. Usage: node bench.mjs BASE_URL API_KEY REPO_URL [--quick]
import http from 'node:http';

const [base, key, repoURL] = process.argv.slice(2);
const quick = process.argv.includes('--quick');
const token = process.env.COVE_BENCH_TOKEN;
const agentPool = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const url = new URL(base);

function request(method, path, body) {
  return new Promise((resolve, reject) => {
    const data = body ? JSON.stringify(body) : undefined;
    const req = http.request({
      host: url.hostname, port: url.port, method, path, agent: agentPool,
      headers: { 'x-api-key': key, 'content-type': 'application/json', ...(data ? { 'content-length': Buffer.byteLength(data) } : {}) },
    }, (res) => {
      let out = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (out += c));
      res.on('end', () => (res.statusCode >= 400 ? reject(new Error(`${method} ${path}: ${res.statusCode} ${out}`)) : resolve(JSON.parse(out || '{}'))));
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

// Opens the session's stream; onEvent(event, now) is called per event until it returns false.
// Resolves once the stream is open (headers received) with {done}: a promise for its end.
function stream(sessionId, onEvent) {
  let opened;
  const open = new Promise((r) => (opened = r));
  const done = new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: `/v1/sessions/${sessionId}/events/stream`, agent: agentPool, headers: { 'x-api-key': key } }, (res) => {
      opened();
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        const now = performance.now();
        buf += c;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = frame.split('\n').find((l) => l.startsWith('data: '));
          if (!data) continue;
          if (onEvent(JSON.parse(data.slice(6)), now) === false) {
            req.destroy();
            resolve();
            return;
          }
        }
      });
      res.on('end', resolve);
    });
    req.on('error', (e) => (e.code === 'ECONNRESET' ? resolve() : reject(e)));
    req.end();
  });
  return open.then(() => ({ done }));
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (x) => x.toFixed(2);

async function setup(script) {
  const agent = await request('POST', '/v1/agents', { name: 'bench', model: `scripted:${script}`, tools: [{ type: 'agent_toolset_20260401' }] });
  return agent.id;
}

let envId;
async function newSession(agentId, withRepo) {
  return request('POST', '/v1/sessions', {
    agent: agentId, environment_id: envId,
    ...(withRepo ? { resources: [{ type: 'github_repository', url: repoURL, authorization_token: token }] } : {}),
  });
}

// Create → send → first tool result, in ms; also returns the setup steps' durations.
async function firstToolResult(agentId, withRepo) {
  const t0 = performance.now();
  const s = await newSession(agentId, withRepo);
  let t1 = 0;
  const steps = {};
  const { done } = await stream(s.id, (e, now) => {
    if (e.type === 'span.setup_step_end') steps[e.step] = e.duration_ms;
    if (e.type === 'agent.tool_result') {
      t1 = now;
      return false;
    }
    return true;
  });
  await request('POST', `/v1/sessions/${s.id}/events`, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }] });
  await done;
  return { ms: t1 - t0, steps };
}

// Times between consecutive tool results of one session running a script of tool calls.
async function loopCycle(agentId, withRepo) {
  const s = await newSession(agentId, withRepo);
  const times = [];
  const { done } = await stream(s.id, (e, now) => {
    if (e.type === 'agent.tool_result') times.push(now);
    return e.type !== 'session.status_idle';
  });
  await request('POST', `/v1/sessions/${s.id}/events`, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }] });
  await done;
  const gaps = [];
  for (let i = 11; i < times.length; i++) gaps.push(times[i] - times[i - 1]); // after warm-up
  return gaps;
}

const env = await request('POST', '/v1/environments', { name: `bench-${Date.now()}`, config: { type: 'cloud', networking: { type: 'limited' } } });
envId = env.id;

// 1. Session create → first tool result.
const first = await setup('first.json');
const cold = await firstToolResult(first, true);
console.log(`create → first tool result, cold repository: ${fmt(cold.ms)} ms (setup ${JSON.stringify(cold.steps)})`);
const warm = [];
const noRepo = [];
const n = quick ? 10 : 40;
const warmSteps = {};
for (let i = 0; i < n; i++) {
  const r = await firstToolResult(first, true);
  warm.push(r.ms);
  for (const [k, v] of Object.entries(r.steps)) (warmSteps[k] ??= []).push(v);
}
for (let i = 0; i < n; i++) noRepo.push((await firstToolResult(first, false)).ms);
console.log(`create → first tool result, warm repository: p50 ${fmt(pct(warm, 50))} ms, p99 ${fmt(pct(warm, 99))} ms (n=${n}; target p50 ≤ 20 ms)`);
console.log(`  set-up steps, p50: ${Object.entries(warmSteps).map(([k, v]) => `${k} ${fmt(pct(v, 50))} ms`).join(', ')}`);
console.log(`create → first tool result, no repository:   p50 ${fmt(pct(noRepo, 50))} ms, p99 ${fmt(pct(noRepo, 99))} ms`);

// 2. Per tool call cost of the loop (tool result → next tool result: persist, scripted model
// turn, persist, run the tool, persist).
for (const [script, label] of [['bash.json', 'bash `true`'], ['read.json', 'read small.txt']]) {
  const gaps = await loopCycle(await setup(script), true);
  console.log(`loop cycle per tool call, ${label}: p50 ${fmt(pct(gaps, 50))} ms, p99 ${fmt(pct(gaps, 99))} ms (n=${gaps.length}; target p50 ≤ 2 ms)`);
}

// 3. 100 concurrent sessions, 20 tool calls each.
const sessions = quick ? 20 : 100;
const twenty = await setup('twenty.json');
const created = await Promise.all(Array.from({ length: sessions }, () => newSession(twenty, false)));
const t0 = performance.now();
const all = await Promise.all(created.map(async (s) => {
  const times = [performance.now()];
  const { done } = await stream(s.id, (e, now) => {
    if (e.type === 'agent.tool_result') times.push(now);
    return e.type !== 'session.status_idle';
  });
  await request('POST', `/v1/sessions/${s.id}/events`, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }] });
  await done;
  return times;
}));
const elapsed = (performance.now() - t0) / 1000;
const calls = all.reduce((a, t) => a + t.length - 1, 0);
const gaps = all.flatMap((t) => t.slice(2).map((x, i) => x - t[i + 1]));
console.log(`${sessions} concurrent sessions × 20 tool calls: ${calls} calls in ${fmt(elapsed)} s = ${fmt(calls / elapsed)} calls/s; per-call gap p50 ${fmt(pct(gaps, 50))} ms, p99 ${fmt(pct(gaps, 99))} ms`);
agentPool.destroy();
