// A stand-in for the Anthropic Messages API, for cove's tests. It answers POST /v1/messages by
// playing a script of model turns in order (the `scripted` provider's format, docs/models.md),
// streaming each reply exactly as the real API does (message_start, content_block_start /
// _delta / _stop, message_delta, message_stop, pings), and checks that every request is well
// formed the way the real API would (400 with a clear message otherwise). Loopback only.
//
//   import { startModelServer } from './model_server.mjs';
//   const server = await startModelServer({ turns: [{ content: [{ type: 'text', text: 'hi' }] }] });
//   ... point cove's anthropic provider at server.url ...
//   server.requests   // every request body, parsed, in arrival order
//   await server.close();
//
// A turn is a reply {content, stop_reason?, usage?} or a failure {error: {status?, kind?, type?,
// message?, retry_after?, retry_after_ms?, in_stream?}}, or (JS API only) a function
// (requestBody, turnNumber) => turn, possibly async, to answer from what was asked. It may add:
//   delay_ms        wait before answering (a stall: cut short when the client goes away)
//   chunk_delay_ms  wait between stream events
//   cut_after N     destroy the connection after N stream events (a broken stream)
//   end_after N     end the response cleanly after N events (no message_stop)
//   stall_after N   send N events, then nothing until the client goes away
// Control endpoints (for tests in other languages): POST /_control/turns {turns} replaces the
// script and forgets past requests; GET /_control/requests answers {played, requests, headers,
// ports} (ports: the client's source port per request, equal when a connection was reused).
//
// Command line: node tests/models/model_server.mjs --script FILE [--port N] [--api-key KEY]
//   [--verbose]; prints "PORT <n>" on stdout once listening.
import { isObject, split, cut, readBody, Script, serveScript, isMain, runCommandLine } from './scripted_server.mjs';

const TURN_KEYS = new Set(['content', 'stop_reason', 'usage', 'error', 'delay_ms', 'chunk_delay_ms',
  'cut_after', 'end_after', 'stall_after', 'comment']);
const ERROR_KEYS = new Set(['status', 'kind', 'type', 'message', 'retry_after', 'retry_after_ms',
  'in_stream', 'comment']);
const USAGE_KEYS = ['input_tokens', 'output_tokens', 'cache_creation_input_tokens',
  'cache_read_input_tokens'];
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;
const KIND_STATUS = { overloaded: 529, rate_limited: 429, server: 500, request_failed: 400 };
const MAX_BODY = 32 << 20;

// ---------------------------------------------------------------------------------------------
// Scripts

function isCount(v) {
  return Number.isInteger(v) && v >= 0;
}

// Throws an Error naming the problem when `turn` is not a valid turn.
export function checkTurn(turn) {
  if (!isObject(turn)) throw new Error('a turn must be a JSON object');
  for (const key of Object.keys(turn))
    if (!TURN_KEYS.has(key)) throw new Error(`unknown key '${key}'`);
  for (const key of ['delay_ms', 'chunk_delay_ms'])
    if (key in turn && !(typeof turn[key] === 'number' && turn[key] >= 0))
      throw new Error(`${key} must be a non-negative number`);
  for (const key of ['cut_after', 'end_after', 'stall_after'])
    if (key in turn && !isCount(turn[key])) throw new Error(`${key} must be a non-negative integer`);
  if ('error' in turn) {
    if ('content' in turn || 'stop_reason' in turn || 'usage' in turn)
      throw new Error("a turn has either 'error' or a reply (content, stop_reason, usage)");
    const e = turn.error;
    if (!isObject(e)) throw new Error('error must be an object');
    for (const key of Object.keys(e))
      if (!ERROR_KEYS.has(key)) throw new Error(`error: unknown key '${key}'`);
    if ('status' in e && !(Number.isInteger(e.status) && e.status >= 100 && e.status <= 599))
      throw new Error('error.status must be an HTTP status (100-599)');
    if ('kind' in e && !(e.kind in KIND_STATUS || e.kind === 'network'))
      throw new Error('error.kind must be one of overloaded, rate_limited, server, network, request_failed');
    if (!('status' in e) && !('kind' in e)) throw new Error("error needs a 'status' or a 'kind'");
    for (const key of ['retry_after', 'retry_after_ms'])
      if (key in e && !(typeof e[key] === 'number' && e[key] >= 0))
        throw new Error(`error.${key} must be a non-negative number`);
    return;
  }
  if ('content' in turn) {
    if (!Array.isArray(turn.content)) throw new Error('content must be an array of blocks');
    turn.content.forEach((b, i) => {
      const where = `content[${i}]`;
      if (!isObject(b) || typeof b.type !== 'string') throw new Error(`${where} must be an object with a string 'type'`);
      if (b.type === 'text' && typeof b.text !== 'string') throw new Error(`${where} (text) needs a string 'text'`);
      if (b.type === 'thinking' && typeof b.thinking !== 'string') throw new Error(`${where} (thinking) needs a string 'thinking'`);
      if (b.type === 'redacted_thinking' && typeof b.data !== 'string') throw new Error(`${where} (redacted_thinking) needs a string 'data'`);
      if (b.type === 'tool_use') {
        if (typeof b.name !== 'string' || !b.name) throw new Error(`${where} (tool_use) needs a string 'name'`);
        if ('id' in b && (typeof b.id !== 'string' || !b.id)) throw new Error(`${where} (tool_use) has an empty id`);
        if ('input' in b && !isObject(b.input)) throw new Error(`${where} (tool_use) input must be an object`);
      }
    });
  }
  if ('stop_reason' in turn && typeof turn.stop_reason !== 'string') throw new Error('stop_reason must be a string');
  if ('usage' in turn) {
    if (!isObject(turn.usage)) throw new Error('usage must be an object');
    for (const [k, v] of Object.entries(turn.usage))
      if (!USAGE_KEYS.includes(k) || !isCount(v)) throw new Error(`usage.${k} is not a known non-negative counter`);
  }
}

// Turns from script text: {"turns":[...]}, a JSON array, one JSON object, or JSON Lines.
export function parseScript(text, name = 'script') {
  const fail = (where, why) => { throw new Error(`model script '${name}': ${where}${why}`); };
  let turns;
  let whole;
  try { whole = JSON.parse(text); } catch { whole = undefined; }
  const at = [];
  if (isObject(whole) && 'turns' in whole) {
    if (!Array.isArray(whole.turns)) fail('', "'turns' must be an array");
    turns = whole.turns;
    turns.forEach((_, i) => at.push(`turn ${i + 1}: `));
  } else if (Array.isArray(whole)) {
    turns = whole;
    turns.forEach((_, i) => at.push(`turn ${i + 1}: `));
  } else if (isObject(whole)) {
    turns = [whole];
    at.push('turn 1: ');
  } else {
    turns = [];
    text.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      try { turns.push(JSON.parse(line)); } catch (e) { fail(`line ${i + 1}: `, `not valid JSON (${e.message})`); }
      at.push(`line ${i + 1} (turn ${turns.length}): `);
    });
  }
  if (turns.length === 0) fail('', 'has no turns');
  turns.forEach((t, i) => { try { checkTurn(t); } catch (e) { fail(at[i], e.message); } });
  return turns;
}

// ---------------------------------------------------------------------------------------------
// Request checks: what the real API refuses, said the way it says it.

function checkBlocks(content, where) {
  if (typeof content === 'string') return null;
  if (!Array.isArray(content)) return `${where}.content: must be a string or an array of content blocks`;
  for (let j = 0; j < content.length; j++) {
    const b = content[j];
    if (!isObject(b) || typeof b.type !== 'string') return `${where}.content.${j}: a content block needs a string 'type'`;
    if (b.type === 'text' && (typeof b.text !== 'string' || b.text.length === 0))
      return `${where}.content.${j}: text content blocks must be non-empty`;
  }
  return null;
}

// null when the Messages request is well formed, else what is wrong.
export function checkRequest(body) {
  if (!isObject(body)) return 'the request body must be a JSON object';
  if (typeof body.model !== 'string' || !body.model) return 'model: Field required (a non-empty string)';
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) return 'max_tokens: Field required (a positive integer)';
  if ('stream' in body && typeof body.stream !== 'boolean') return 'stream: must be a boolean';
  if ('system' in body) {
    const s = body.system;
    const ok = typeof s === 'string' ||
      (Array.isArray(s) && s.every(b => isObject(b) && b.type === 'text' && typeof b.text === 'string'));
    if (!ok) return 'system: must be a string or an array of text blocks';
  }
  if ('tools' in body) {
    if (!Array.isArray(body.tools)) return 'tools: must be an array';
    const names = new Set();
    for (let i = 0; i < body.tools.length; i++) {
      const t = body.tools[i];
      if (!isObject(t)) return `tools.${i}: must be an object`;
      if (!TOOL_NAME.test(t.name ?? '')) return `tools.${i}.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`;
      if (names.has(t.name)) return `tools: Tool names must be unique (${t.name})`;
      names.add(t.name);
      const custom = !('type' in t) || t.type === 'custom';
      if (custom && (!isObject(t.input_schema) || t.input_schema.type !== 'object'))
        return `tools.${i}.input_schema: must be a JSON schema object with type "object"`;
    }
  }
  const msgs = body.messages;
  if (!Array.isArray(msgs) || msgs.length === 0) return 'messages: at least one message is required';
  let pendingToolUses = null;  // ids the previous assistant message asked for
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i];
    const where = `messages.${i}`;
    if (!isObject(m)) return `${where}: must be an object`;
    if (m.role !== 'user' && m.role !== 'assistant') return `${where}.role: must be "user" or "assistant"`;
    if (i === 0 && m.role !== 'user') return 'messages.0.role: the first message must use the "user" role';
    if (i > 0 && m.role === msgs[i - 1].role)
      return `${where}: roles must alternate between "user" and "assistant" (two "${m.role}" messages in a row)`;
    const bad = checkBlocks(m.content, where);
    if (bad) return bad;
    const blocks = Array.isArray(m.content) ? m.content : [];
    if (m.role === 'user') {
      const results = blocks.filter(b => b.type === 'tool_result');
      if (results.length > 0 && !pendingToolUses)
        return `${where}.content: tool_result block(s) provided when previous message does not have tool_use blocks`;
      const firstOther = blocks.findIndex(b => b.type !== 'tool_result');
      if (firstOther >= 0 && blocks.slice(firstOther).some(b => b.type === 'tool_result'))
        return `${where}.content: tool_result blocks must come first, before any other content`;
      const seen = new Set();
      for (const r of results) {
        if (typeof r.tool_use_id !== 'string') return `${where}.content: a tool_result needs a string tool_use_id`;
        if (!pendingToolUses.has(r.tool_use_id))
          return `${where}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${r.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
        if (seen.has(r.tool_use_id)) return `${where}.content: more than one tool_result for ${r.tool_use_id}`;
        seen.add(r.tool_use_id);
      }
      if (pendingToolUses) {
        const missing = [...pendingToolUses].filter(id => !seen.has(id));
        if (missing.length > 0)
          return `messages.${i - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
      }
      pendingToolUses = null;
    } else {
      const uses = blocks.filter(b => b.type === 'tool_use');
      const ids = new Set();
      for (const u of uses) {
        if (typeof u.id !== 'string' || !u.id) return `${where}.content: a tool_use block needs an id`;
        if (typeof u.name !== 'string' || !u.name) return `${where}.content: tool_use ${u.id} needs a name`;
        if (!isObject(u.input)) return `${where}.content: tool_use ${u.id} input must be an object`;
        if (ids.has(u.id)) return `${where}.content: tool_use ids must be unique (${u.id})`;
        ids.add(u.id);
      }
      pendingToolUses = ids.size > 0 ? ids : null;
    }
  }
  if (pendingToolUses)
    return `messages.${msgs.length - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${[...pendingToolUses].join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Answers

const ERROR_TYPES = { 400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error',
  404: 'not_found_error', 413: 'request_too_large', 429: 'rate_limit_error', 500: 'api_error', 529: 'overloaded_error' };

function errorType(status) {
  return ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

function estimateTokens(value) {
  return Math.max(1, Math.ceil(JSON.stringify(value ?? '').length / 4));
}

// The reply a turn stands for, as a complete Message object.
function replyMessage(turn, body, number) {
  const content = (turn.content ?? []).map((b, i) => {
    if (b.type === 'tool_use') return { id: `toolu_scripted_${number}_${i}`, input: {}, ...b };
    if (b.type === 'thinking') return { signature: '', ...b };
    return { ...b };
  });
  const stop = turn.stop_reason ?? (content.some(b => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
  const u = turn.usage ?? {};
  const usage = {
    input_tokens: u.input_tokens ?? estimateTokens(body.messages),
    output_tokens: u.output_tokens ?? estimateTokens(content),
    cache_creation_input_tokens: u.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: u.cache_read_input_tokens ?? 0,
  };
  return { id: `msg_scripted_${number}`, type: 'message', role: 'assistant', model: body.model, content,
    stop_reason: stop, stop_sequence: null, usage };
}

// The stream events of a Message, as the real API orders them.
function streamEvents(message) {
  const ev = (type, data) => [type, { type, ...data }];
  const { content, usage } = message;
  const out = [ev('message_start', { message: { ...message, content: [], stop_reason: null,
    usage: { ...usage, output_tokens: 1 } } }), ev('ping', {})];
  content.forEach((b, index) => {
    if (b.type === 'text') {
      out.push(ev('content_block_start', { index, content_block: { type: 'text', text: '' } }));
      for (const text of split(b.text)) out.push(ev('content_block_delta', { index, delta: { type: 'text_delta', text } }));
    } else if (b.type === 'thinking') {
      out.push(ev('content_block_start', { index, content_block: { type: 'thinking', thinking: '' } }));
      for (const thinking of split(b.thinking)) out.push(ev('content_block_delta', { index, delta: { type: 'thinking_delta', thinking } }));
      out.push(ev('content_block_delta', { index, delta: { type: 'signature_delta', signature: b.signature } }));
    } else if (b.type === 'tool_use') {
      out.push(ev('content_block_start', { index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } }));
      out.push(ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: '' } }));
      for (const partial_json of split(JSON.stringify(b.input), 4))
        out.push(ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } }));
    } else {
      out.push(ev('content_block_start', { index, content_block: b }));
    }
    out.push(ev('content_block_stop', { index }));
  });
  out.push(ev('message_delta', { delta: { stop_reason: message.stop_reason, stop_sequence: null },
    usage: { output_tokens: usage.output_tokens } }));
  out.push(ev('message_stop', {}));
  return out;
}

// Responses whose connection has closed (the client went away, or the answer is complete).
const closed = new WeakSet();

function gone(res) {
  return closed.has(res) || res.writableEnded || res.destroyed;
}

// Waits `ms`, or less when the client goes away.
function sleep(ms, res) {
  if (gone(res)) return Promise.resolve();
  return new Promise(resolve => {
    const done = () => { clearTimeout(timer); res.off('close', done); resolve(); };
    const timer = setTimeout(done, ms);
    res.once('close', done);
  });
}

function sendError(res, status, type, message, extraHeaders = {}) {
  const requestId = `req_scripted_${Date.now()}`;
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': requestId, ...extraHeaders });
  res.end(JSON.stringify({ type: 'error', error: { type, message }, request_id: requestId }));
}

async function writeEvents(res, events, turn) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache',
    'request-id': `req_scripted_${Date.now()}` });
  for (let i = 0; i < events.length; i++) {
    if (gone(res)) return;
    if (turn.cut_after === i) { cut(res); return; }
    if (turn.end_after === i) { res.end(); return; }
    if (turn.stall_after === i) {
      if (!gone(res)) await new Promise(resolve => res.once('close', resolve));
      return;
    }
    if (i > 0 && turn.chunk_delay_ms) await sleep(turn.chunk_delay_ms, res);
    const [type, data] = events[i];
    res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  }
  res.end();
}

async function playError(res, e) {
  if (e.kind === 'network' && !('status' in e)) { res.socket?.destroy(); return; }
  const status = e.status ?? KIND_STATUS[e.kind];
  const type = e.type ?? (e.kind === 'overloaded' ? 'overloaded_error' : errorType(status));
  const message = e.message ?? `scripted ${type}`;
  if (e.in_stream) {
    const start = { type: 'message_start', message: { id: 'msg_scripted_error', type: 'message', role: 'assistant',
      model: 'scripted', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } } };
    await writeEvents(res, [['message_start', start], ['ping', { type: 'ping' }],
      ['error', { type: 'error', error: { type, message } }]], {});
    return;
  }
  const headers = {};
  if (e.retry_after !== undefined) headers['retry-after'] = String(e.retry_after);
  if (e.retry_after_ms !== undefined) headers['retry-after-ms'] = String(e.retry_after_ms);
  sendError(res, status, type, message, headers);
}

// ---------------------------------------------------------------------------------------------
// The server

// Throws naming the turn when one of `turns` is invalid. Functions (JS API only) are checked
// when they are called.
function checkTurns(turns, first = 1) {
  if (!Array.isArray(turns)) throw new Error('turns must be an array');
  turns.forEach((t, i) => {
    if (typeof t === 'function') return;
    try { checkTurn(t); } catch (e) { throw new Error(`turn ${first + i}: ${e.message}`); }
  });
}

export async function startModelServer({ turns = [], port = 0, apiKey = null, verbose = false } = {}) {
  const script = new Script(turns, checkTurns);
  const { requests, headers, ports } = script;
  let waiters = [];  // {n, resolve} for waitForRequests
  const log = (...args) => { if (verbose) console.error('model_server:', ...args); };

  async function messages(req, res) {
    res.once('close', () => closed.add(res));
    const text = await readBody(req, MAX_BODY);
    let body;
    try { body = JSON.parse(text); } catch { body = text; }
    script.record(req, body);
    waiters = waiters.filter(w => (requests.length >= w.n ? (w.resolve(), false) : true));
    // Either header, as the real API takes (SDKs differ in which they send).
    if (apiKey !== null && req.headers['x-api-key'] !== apiKey && req.headers.authorization !== `Bearer ${apiKey}`)
      return sendError(res, 401, 'authentication_error', 'invalid x-api-key');
    if (!req.headers['anthropic-version'])
      return sendError(res, 400, 'invalid_request_error', 'anthropic-version: header is required');
    if (typeof body === 'string') return sendError(res, 400, 'invalid_request_error', 'the request body is not valid JSON');
    const problem = checkRequest(body);
    if (problem) {
      log('refused request:', problem);
      return sendError(res, 400, 'invalid_request_error', problem);
    }
    let turn = script.next();
    if (turn === undefined)
      return sendError(res, 400, 'invalid_request_error',
        `model_server: the script has ${script.turns.length} turns and all were played; request ${requests.length} has no turn`);
    const number = script.played;
    if (typeof turn === 'function') {
      turn = await turn(body, number);
      try { checkTurn(turn); } catch (e) {
        return sendError(res, 400, 'invalid_request_error', `model_server: turn ${number} (a function) returned an invalid turn: ${e.message}`);
      }
    }
    log(`turn ${number}`, JSON.stringify(turn).slice(0, 200));
    if (turn.delay_ms) await sleep(turn.delay_ms, res);
    if (gone(res)) return;
    if (turn.error) return playError(res, turn.error);
    const message = replyMessage(turn, body, number);
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_scripted_${number}` });
      res.end(JSON.stringify(message));
      return;
    }
    await writeEvents(res, streamEvents(message), turn);
  }

  const server = await serveScript({
    name: 'model_server', port, script, log,
    route: (method, path) => (method === 'POST' && path === '/v1/messages' ? messages : null),
    sendError: (res, status, message) =>
      sendError(res, status, status === 404 ? 'not_found_error' : 'invalid_request_error', message),
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    port: server.port,
    requests,
    headers,
    ports,
    get played() { return script.played; },
    get remaining() { return script.turns.length - script.played; },
    // Replaces the script (turns still to play) and forgets past requests.
    setTurns(next) { script.reset(next); },
    // Appends turns to the script.
    addTurns(...more) {
      checkTurns(more, script.turns.length + 1);
      script.turns.push(...more);
    },
    // Resolves once `n` requests have arrived in all (e.g. to act while a model call is in
    // flight); rejects after `timeoutMs`.
    waitForRequests(n, timeoutMs = 10000) {
      if (requests.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`model_server: ${requests.length} of ${n} requests arrived within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ n, resolve: () => { clearTimeout(timer); resolve(); } });
      });
    },
    close: () => server.close(),
  };
}

// ---------------------------------------------------------------------------------------------
// Command line

if (isMain(import.meta.url)) {
  await runCommandLine({
    name: 'model_server',
    parseScript,
    start: startModelServer,
    describe: (server, turns) => `Messages API on ${server.url}/v1/messages with ${turns.length} turns`,
  });
}
