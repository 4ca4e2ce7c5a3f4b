// Durability: kill -9 during event appends loses nothing acknowledged; a restart keeps every
// object; SSE resume with Last-Event-ID delivers what was missed, once, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startServer, client, removeDir, stopProcess } from './harness.mjs';

async function seed(sdk) {
  const agent = await sdk.beta.agents.create({ name: 'crash', model: 'm' });
  const env = await sdk.beta.environments.create({ name: 'crash-env' });
  const session = await sdk.beta.sessions.create({
    agent: agent.id, environment_id: env.id,
    resources: [{ type: 'github_repository', url: 'https://github.com/o/r', authorization_token: 'ghp_CRASH' }],
  });
  return { agent, env, session };
}

async function listAll(sdk, sessionId) {
  const out = [];
  for await (const e of sdk.beta.sessions.events.list(sessionId)) out.push(e);
  return out;
}

test('kill -9 during event appends: every acknowledged event survives the restart', async () => {
  const first = await startServer();
  const sdk = client(first);
  const { agent, env, session } = await seed(sdk);
  const acked = [];
  const unexpected = [];
  let stopFlag = false;
  let killed = false;
  const writers = Array.from({ length: 8 }, async (_, w) => {
    for (let i = 0; !stopFlag; i++) {
      try {
        const r = await sdk.beta.sessions.events.send(session.id, {
          events: [{ type: 'user.message', content: [{ type: 'text', text: `w${w}-${i}` }] }],
        });
        acked.push(r.data[0].id);
      } catch (e) {
        // Only the kill may cut a request off (never acknowledged), and only as a lost
        // connection; any other failure is the daemon's and fails the test.
        if (!killed || !(e instanceof Anthropic.APIConnectionError)) unexpected.push(`${e?.constructor?.name}: ${e?.message}`);
        return;
      }
    }
  });
  // Kill mid-stream once enough sends were acknowledged (not after a fixed time: a loaded
  // machine acknowledges fewer per second, and the check below would then be about speed).
  for (const deadline = Date.now() + 20000; acked.length <= 40 && Date.now() < deadline; )
    await new Promise((r) => setTimeout(r, 10));
  killed = true;
  await stopProcess(first.proc, 'SIGKILL');
  stopFlag = true;
  await Promise.all(writers);
  assert.deepEqual(unexpected, [], 'sends failed for another reason than the kill');
  assert.ok(acked.length > 20, `only ${acked.length} sends were acknowledged before the kill`);

  const second = await startServer({ home: first.home });
  try {
    const sdk2 = client(second);
    assert.equal((await sdk2.beta.agents.retrieve(agent.id)).id, agent.id);
    assert.equal((await sdk2.beta.environments.retrieve(env.id)).name, 'crash-env');
    const s = await sdk2.beta.sessions.retrieve(session.id);
    assert.equal(s.status, 'idle');
    assert.equal(s.resources.length, 1);
    const events = await listAll(sdk2, session.id);
    const stored = new Set(events.map((e) => e.id));
    const lost = acked.filter((id) => !stored.has(id));
    assert.deepEqual(lost, [], `${lost.length} acknowledged events lost`);
    assert.equal(stored.size, events.length, 'no duplicate events');
    // The daemon keeps working on the same store.
    const r = await sdk2.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'after' }] }] });
    assert.match(r.data[0].id, /^sevt_/);
  } finally {
    await second.stop();
    removeDir(first.home);
  }
});

// Reads SSE frames from a raw fetch body until `count` frames with an id arrived.
// Frames (with an id) until `done(frames)` holds or the stream ends.
async function readFrames(res, done) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  const frames = [];
  while (!done(frames)) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let idx;
    while ((idx = buf.indexOf('\n\n')) >= 0) {
      const raw = buf.slice(0, idx);
      buf = buf.slice(idx + 2);
      const f = {};
      for (const line of raw.split('\n')) {
        const m = line.match(/^(id|event|data): ?(.*)$/);
        if (m) f[m[1]] = m[2];
      }
      if (f.id) frames.push(f);
    }
  }
  await reader.cancel();
  return frames;
}

// Until the turn of the user message with this text has ended (its session.status_idle).
const untilIdleAfter = (text) => (frames) => {
  const at = frames.findIndex((f) => f.event === 'user.message' && JSON.parse(f.data).content[0].text === text);
  return at >= 0 && frames.slice(at).some((f) => f.event === 'session.status_idle');
};

test('SSE resume with Last-Event-ID: nothing lost, nothing repeated', async () => {
  const server = await startServer();
  try {
    const sdk = client(server);
    const { session } = await seed(sdk);
    const url = `${server.baseURL}/v1/sessions/${session.id}/events/stream`;
    const headers = { 'x-api-key': server.apiKey };
    const live = await fetch(url, { headers });
    assert.equal(live.headers.get('content-type'), 'text/event-stream');
    const firstFrames = readFrames(live, untilIdleAfter('one'));
    await sdk.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'one' }] }] });
    const seen = await firstFrames; // user.message, status_running, ... the turn ..., status_idle
    assert.deepEqual(seen.slice(0, 2).map((f) => f.event), ['user.message', 'session.status_running']);
    assert.equal(seen.at(-1).event, 'session.status_idle');
    assert.deepEqual(seen.map((f) => Number(f.id)), seen.map((_, i) => i + 1));
    // While disconnected, more happens.
    for (const t of ['two', 'three'])
      await sdk.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: t }] }] });
    await new Promise((r) => setTimeout(r, 200));
    const resumed = await fetch(url, { headers: { ...headers, 'last-event-id': seen.at(-1).id } });
    const more = readFrames(resumed, untilIdleAfter('four'));
    await sdk.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'four' }] }] });
    const rest = await more;
    const first = Number(seen.at(-1).id) + 1;
    assert.deepEqual(rest.map((f) => Number(f.id)), rest.map((_, i) => first + i), 'contiguous, no gaps or repeats');
    const texts = rest.filter((f) => f.event === 'user.message').map((f) => JSON.parse(f.data).content[0].text);
    assert.deepEqual(texts, ['two', 'three', 'four']);
  } finally {
    await server.stop();
    removeDir(server.home);
  }
});

test('many concurrent SSE clients all receive every event', async () => {
  const server = await startServer();
  try {
    const sdk = client(server);
    const { session } = await seed(sdk);
    const url = `${server.baseURL}/v1/sessions/${session.id}/events/stream`;
    const streams = await Promise.all(Array.from({ length: 50 }, () => fetch(url, { headers: { authorization: `Bearer ${server.apiKey}` } })));
    const reads = streams.map((s) => readFrames(s, untilIdleAfter('fan')));
    await sdk.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'fan' }] }] });
    const all = await Promise.all(reads);
    const expected = all[0].map((f) => `${f.id} ${f.event}`);
    assert.deepEqual(expected.slice(0, 2).map((x) => x.split(' ')[1]), ['user.message', 'session.status_running']);
    assert.ok(expected.at(-1).endsWith('session.status_idle'));
    for (const frames of all) assert.deepEqual(frames.map((f) => `${f.id} ${f.event}`), expected);
    // A slow, half-sent request does not block others and the server stays up.
    const net = await import('node:net');
    const sock = net.connect(Number(new URL(server.baseURL).port), '127.0.0.1');
    sock.on('error', () => {});
    sock.write('POST /v1/agents HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{');
    assert.equal((await sdk.beta.sessions.retrieve(session.id)).id, session.id);
    sock.destroy();
  } finally {
    await server.stop();
    removeDir(server.home);
  }
});
