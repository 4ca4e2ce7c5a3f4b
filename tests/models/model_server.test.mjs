// tests/models/model_server.mjs checked with the official @anthropic-ai/sdk: what it streams is
// what the SDK accepts and assembles into the scripted message, its errors are what the SDK
// reports, and it refuses the malformed requests the real API refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import { startModelServer, parseScript, checkRequest } from './model_server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

function sdk(server, options = {}) {
  return new Anthropic({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0, ...options });
}

const user = text => ({ role: 'user', content: text });
const base = { model: 'claude-test', max_tokens: 100 };

async function withServer(turns, fn, options = {}) {
  const server = await startModelServer({ turns, ...options });
  try { return await fn(server); } finally { await server.close(); }
}

test('streams text, thinking and tool_use the way the SDK assembles them', () => withServer([{
  content: [
    { type: 'thinking', thinking: 'Let me think.', signature: 'sig1' },
    { type: 'text', text: 'I will list the files ✓' },
    { type: 'tool_use', id: 'toolu_a', name: 'bash', input: { command: 'ls -la', nested: { n: [1, 2] } } },
  ],
  usage: { input_tokens: 50, output_tokens: 20, cache_read_input_tokens: 5 },
}], async server => {
  const stream = sdk(server).messages.stream({ ...base, messages: [user('list files')],
    tools: [{ name: 'bash', input_schema: { type: 'object' } }] });
  const texts = [];
  stream.on('text', t => texts.push(t));
  const message = await stream.finalMessage();
  assert.deepEqual(message.content, [
    { type: 'thinking', thinking: 'Let me think.', signature: 'sig1' },
    { type: 'text', text: 'I will list the files ✓' },
    { type: 'tool_use', id: 'toolu_a', name: 'bash', input: { command: 'ls -la', nested: { n: [1, 2] } } },
  ]);
  assert.ok(texts.length >= 2, 'text arrives in several deltas');
  assert.equal(message.stop_reason, 'tool_use');
  assert.equal(message.usage.input_tokens, 50);
  assert.equal(message.usage.output_tokens, 20);
  assert.equal(message.usage.cache_read_input_tokens, 5);
  assert.equal(message.model, 'claude-test');
  assert.equal(server.requests.length, 1);
  assert.equal(server.requests[0].stream, true);
  assert.ok(server.headers[0]['x-api-key'] === 'test-key' || server.headers[0].authorization === 'Bearer test-key');
  assert.ok(server.headers[0]['anthropic-version']);
}));

test('plays turns in order, generates tool ids, answers non-streaming requests too', () => withServer([
  { content: [{ type: 'tool_use', name: 'read', input: { file_path: 'a' } }] },
  { content: [{ type: 'text', text: 'done' }], stop_reason: 'end_turn' },
], async server => {
  const client = sdk(server);
  const first = await client.messages.create({ ...base, messages: [user('go')] });
  assert.equal(first.content[0].id, 'toolu_scripted_1_0');
  assert.equal(first.stop_reason, 'tool_use');
  const second = await client.messages.create({ ...base, messages: [user('go'),
    { role: 'assistant', content: first.content },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_scripted_1_0', content: 'x' }] }],
  stream: true });
  const events = [];
  for await (const e of second) events.push(e.type);
  assert.deepEqual(events.filter(t => t !== 'content_block_delta'), ['message_start', 'content_block_start',
    'content_block_stop', 'message_delta', 'message_stop']);
  assert.equal(server.played, 2);
  const third = await client.messages.create({ ...base, messages: [user('more')] }).catch(e => e);
  assert.equal(third.status, 400);
  assert.match(third.message, /the script has 2 turns and all were played/);
}));

test('error turns answer with their status, Anthropic error body and retry-after', () => withServer([
  { error: { status: 529, message: 'Overloaded' } },
  { error: { status: 429, message: 'slow down', retry_after: 3 } },
  { error: { kind: 'server' } },
  { error: { status: 400, message: 'bad thing' } },
], async server => {
  const client = sdk(server);
  const overloaded = await client.messages.create({ ...base, messages: [user('a')] }).catch(e => e);
  assert.equal(overloaded.status, 529);
  assert.equal(overloaded.error.error.type, 'overloaded_error');
  const limited = await client.messages.create({ ...base, messages: [user('a')] }).catch(e => e);
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get('retry-after'), '3');
  assert.ok(limited instanceof Anthropic.RateLimitError);
  const server500 = await client.messages.create({ ...base, messages: [user('a')] }).catch(e => e);
  assert.equal(server500.status, 500);
  const bad = await client.messages.create({ ...base, messages: [user('a')] }).catch(e => e);
  assert.ok(bad instanceof Anthropic.BadRequestError);
  assert.match(bad.message, /bad thing/);
}));

test('an overloaded_error inside the stream reaches the SDK as an error', () => withServer([
  { error: { status: 529, type: 'overloaded_error', message: 'Overloaded', in_stream: true } },
], async server => {
  const stream = sdk(server).messages.stream({ ...base, messages: [user('a')] });
  await assert.rejects(stream.finalMessage(), /Overloaded/);
}));

test('cut, ended and stalled streams', () => withServer([
  { content: [{ type: 'text', text: 'partial reply here' }], cut_after: 4 },
  { content: [{ type: 'text', text: 'partial reply here' }], end_after: 4 },
  { content: [{ type: 'text', text: 'never finishes' }], stall_after: 4 },
], async server => {
  const client = sdk(server);
  const stream = () => {
    const s = client.messages.stream({ ...base, messages: [user('a')] });
    s.on('error', () => {});  // reported through finalMessage() below
    return s;
  };
  await assert.rejects(stream().finalMessage(), /terminated|closed|ended|premature/i);
  await assert.rejects(stream().finalMessage(), /message_stop|ended|incomplete|no message/i);
  const stalled = stream();
  const texts = [];
  stalled.on('text', t => texts.push(t));
  await new Promise(resolve => setTimeout(resolve, 300));
  assert.ok(texts.length >= 1, 'the events before the stall arrived');
  stalled.abort();
  await assert.rejects(stalled.finalMessage());
}));

test('delay_ms holds the answer, and a client that leaves ends the wait', () => withServer([
  { delay_ms: 300, content: [{ type: 'text', text: 'late' }] },
  { delay_ms: 60000, content: [{ type: 'text', text: 'never' }] },
  { content: [{ type: 'text', text: 'next' }] },
], async server => {
  const client = sdk(server);
  const started = Date.now();
  const late = await client.messages.create({ ...base, messages: [user('a')] });
  assert.equal(late.content[0].text, 'late');
  assert.ok(Date.now() - started >= 280);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 200);
  await assert.rejects(client.messages.create({ ...base, messages: [user('a')] }, { signal: controller.signal }));
  const next = await client.messages.create({ ...base, messages: [user('a')] });
  assert.equal(next.content[0].text, 'next');
}));

test('malformed requests get 400 with the reason, and use no turn', () => withServer([
  { content: [{ type: 'text', text: 'ok' }] },
], async server => {
  const client = sdk(server);
  const cases = [
    [{ ...base, messages: [] }, /at least one message/],
    [{ model: 'm', messages: [user('a')] }, /max_tokens/],
    [{ ...base, messages: [{ role: 'assistant', content: 'x' }] }, /first message/],
    [{ ...base, messages: [user('a'), user('b')] }, /alternate/],
    [{ ...base, messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] }, /non-empty/],
    [{ ...base, messages: [user('a'), { role: 'assistant', content: 'b' },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'r' }] }] },
    /previous message does not have tool_use/],
    [{ ...base, messages: [user('a'),
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'x', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't2', content: 'r' }] }] },
    /unexpected `tool_use_id`.*t2/],
    [{ ...base, messages: [user('a'),
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'x', input: {} },
        { type: 'tool_use', id: 't2', name: 'x', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'r' }] }] },
    /without `tool_result`.*t2/],
    [{ ...base, messages: [user('a'),
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'x', input: {} }] },
      { role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'tool_result', tool_use_id: 't1' }] }] },
    /must come first/],
    [{ ...base, messages: [user('a'),
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'x', input: {} }] }] },
    /without `tool_result`/],
    [{ ...base, messages: [user('a')], tools: [{ name: 'bad name', input_schema: { type: 'object' } }] }, /tools.0.name/],
    [{ ...base, messages: [user('a')], tools: [{ name: 'x' }] }, /input_schema/],
  ];
  for (const [body, reason] of cases) {
    const error = await client.messages.create(body).catch(e => e);
    assert.equal(error.status, 400, `expected 400 for ${JSON.stringify(body)}`);
    assert.match(error.message, reason);
  }
  assert.equal(server.played, 0);
  const ok = await client.messages.create({ ...base, messages: [user('a'),
    { role: 'assistant', content: [{ type: 'text', text: 'calling' }, { type: 'tool_use', id: 't1', name: 'x', input: {} }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'r' }, { type: 'text', text: 'go' }] }] });
  assert.equal(ok.content[0].text, 'ok');
  assert.equal(checkRequest({ ...base, messages: [user('a')] }), null);
}));

test('api key checked when configured', () => withServer([{ content: [] }], async server => {
  const wrong = await sdk(server, { apiKey: 'other' }).messages.create({ ...base, messages: [user('a')] }).catch(e => e);
  assert.equal(wrong.status, 401);
  const right = await sdk(server, { apiKey: 'k1' }).messages.create({ ...base, messages: [user('a')] });
  assert.deepEqual(right.content, []);
}, { apiKey: 'k1' }));

test('scripts: every format, and problems named by line and turn', () => {
  assert.equal(parseScript('{"turns":[{"content":[]},{"error":{"status":529}}]}').length, 2);
  assert.equal(parseScript('{"content":[]}\n\n{"delay_ms":5}\n').length, 2);
  assert.equal(parseScript('[{"content":[]}]').length, 1);
  assert.throws(() => parseScript('{"content":[]}\n{bad', 'x.jsonl'), /'x.jsonl': line 2: not valid JSON/);
  assert.throws(() => parseScript('{"turns":[{"content":[]},{"contnet":[]}]}', 's'), /turn 2: unknown key 'contnet'/);
  assert.throws(() => parseScript('{"error":{"message":"x"}}', 's'), /needs a 'status' or a 'kind'/);
  assert.throws(() => parseScript('{"turns":[]}', 's'), /has no turns/);
  assert.throws(() => parseScript('{"content":[{"type":"tool_use"}]}', 's'), /needs a string 'name'/);
});

test('control endpoints replace the script and list requests', () => withServer([], async server => {
  let r = await fetch(`${server.url}/_control/turns`, { method: 'POST',
    body: JSON.stringify({ turns: [{ content: [{ type: 'text', text: 'hi' }] }] }) });
  assert.equal(r.status, 200);
  const reply = await sdk(server).messages.create({ ...base, messages: [user('a')] });
  assert.equal(reply.content[0].text, 'hi');
  r = await fetch(`${server.url}/_control/requests`);
  const seen = await r.json();
  assert.equal(seen.played, 1);
  assert.equal(seen.requests[0].messages[0].content, 'a');
  r = await fetch(`${server.url}/_control/turns`, { method: 'POST', body: JSON.stringify({ turns: [{ bogus: 1 }] }) });
  assert.equal(r.status, 400);
  assert.match((await r.json()).error.message, /turn 1: unknown key 'bogus'/);
}));

test('command line: --script and --port, PORT on stdout', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cove-model-server-'));
  const script = path.join(dir, 'script.jsonl');
  fs.writeFileSync(script, '{"content":[{"type":"text","text":"from the command line"}]}\n');
  const child = spawn(process.execPath, [path.join(here, 'model_server.mjs'), '--script', script, '--port', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const port = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', d => { out += d; const m = /PORT (\d+)\n/.exec(out); if (m) resolve(Number(m[1])); });
      child.on('exit', code => reject(new Error(`exited with ${code}`)));
    });
    const reply = await sdk({ url: `http://127.0.0.1:${port}` }).messages.create({ ...base, messages: [user('a')] });
    assert.equal(reply.content[0].text, 'from the command line');
  } finally {
    child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const bad = spawn(process.execPath, [path.join(here, 'model_server.mjs'), '--script', '/nonexistent/x.json'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  bad.stderr.on('data', d => { err += d; });
  const code = await new Promise(resolve => bad.on('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /x\.json/);
});

test('function turns answer from the request; waitForRequests and addTurns', () => withServer([
  body => ({ content: [{ type: 'text', text: `you said ${body.messages.at(-1).content}` }] }),
  async () => ({ delay_ms: 60000, content: [] }),
], async server => {
  const client = sdk(server);
  const echoed = await client.messages.create({ ...base, messages: [user('hello')] });
  assert.equal(echoed.content[0].text, 'you said hello');
  const controller = new AbortController();
  const pending = client.messages.create({ ...base, messages: [user('a')] }, { signal: controller.signal });
  await server.waitForRequests(2);
  controller.abort();
  await assert.rejects(pending);
  server.addTurns({ content: [{ type: 'text', text: 'added' }] }, () => 'not a turn');
  assert.equal((await client.messages.create({ ...base, messages: [user('a')] })).content[0].text, 'added');
  const bad = await client.messages.create({ ...base, messages: [user('a')] }).catch(e => e);
  assert.equal(bad.status, 400);
  assert.match(bad.message, /turn 4 \(a function\) returned an invalid turn/);
  await assert.rejects(server.waitForRequests(10, 50), /4 of 10 requests/);
  assert.throws(() => server.addTurns({ bogus: true }), /turn 5: unknown key 'bogus'/);
}));
