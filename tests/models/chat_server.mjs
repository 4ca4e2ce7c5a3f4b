// A stand-in for an OpenAI-compatible chat-completions server (vLLM, llama.cpp, Ollama...), for
// the `openai` provider's tests. POST /v1/chat/completions plays a script of model turns in
// order. Turns use the scripted provider's shape (Messages content blocks, docs/models.md) and
// are translated into chat-completion chunks the way such servers stream them: text in
// `delta.content` pieces, tool calls in `delta.tool_calls` pieces (id and name first, then the
// arguments text in parts), finish_reason, then a usage chunk when stream_options.include_usage
// asks for it, then `data: [DONE]`. Requests are checked (roles, tool messages answering the
// previous assistant's tool_calls) and recorded. Loopback only.
//
// Extra turn shapes:
//   {chunks: [...], done?: false}   send these chunk objects verbatim (then [DONE] unless false)
//   {error: {status, message, in_stream?}}  HTTP error with an OpenAI error body, or an error
//                                   chunk inside a 200 stream
//   delay_ms / cut_after N          as in model_server.mjs
// Control: POST /_control/turns {turns}, GET /_control/requests (as in model_server.mjs).
// Command line: node tests/models/chat_server.mjs [--script FILE] [--port N] [--api-key KEY];
// prints "PORT <n>" once listening.
import { isObject, split, cut, readBody, Script, serveScript, isMain, runCommandLine } from './scripted_server.mjs';

const FINISH = { end_turn: 'stop', tool_use: 'tool_calls', max_tokens: 'length', refusal: 'content_filter',
  stop_sequence: 'stop' };

// null when the chat request is well formed, else what is wrong.
export function checkChatRequest(body) {
  if (!isObject(body)) return 'the request body must be a JSON object';
  if (typeof body.model !== 'string' || !body.model) return 'model is required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages must be a non-empty array';
  if (body.stream === true && !(isObject(body.stream_options) && body.stream_options.include_usage === true))
    return 'this test server expects stream_options.include_usage with stream';
  if ('tools' in body) {
    if (!Array.isArray(body.tools)) return 'tools must be an array';
    for (const [i, t] of body.tools.entries())
      if (t?.type !== 'function' || typeof t.function?.name !== 'string' || !isObject(t.function.parameters))
        return `tools[${i}] must be {type:"function", function:{name, parameters}}`;
  }
  let open = new Set();  // tool_call ids still to be answered
  for (const [i, m] of body.messages.entries()) {
    if (!isObject(m) || !['system', 'user', 'assistant', 'tool'].includes(m.role))
      return `messages[${i}].role must be system, user, assistant or tool`;
    if (m.role === 'tool') {
      if (!open.has(m.tool_call_id))
        return `messages[${i}]: tool message for '${m.tool_call_id}', which the preceding assistant message did not call`;
      open.delete(m.tool_call_id);
      if (typeof m.content !== 'string') return `messages[${i}].content of a tool message must be a string`;
      continue;
    }
    if (open.size > 0) return `messages[${i}]: tool_calls ${[...open].join(', ')} were not answered`;
    if (m.role === 'assistant') {
      if (m.content !== null && typeof m.content !== 'string') return `messages[${i}].content must be a string or null`;
      for (const c of m.tool_calls ?? []) {
        if (typeof c.id !== 'string' || c.type !== 'function' || typeof c.function?.name !== 'string' ||
          typeof c.function?.arguments !== 'string')
          return `messages[${i}].tool_calls entries must be {id, type:"function", function:{name, arguments}}`;
        try { JSON.parse(c.function.arguments); } catch { return `messages[${i}]: arguments of ${c.id} are not JSON`; }
        open.add(c.id);
      }
    } else if (typeof m.content !== 'string') {
      return `messages[${i}].content must be a string`;
    }
  }
  return null;
}

function chunk(number, delta, finish = null) {
  return { id: `chatcmpl-${number}`, object: 'chat.completion.chunk', created: 0, model: 'scripted',
    choices: [{ index: 0, delta, finish_reason: finish }] };
}

// The chunks a Messages-form turn streams as.
function turnChunks(turn, number, includeUsage) {
  const out = [chunk(number, { role: 'assistant', content: '' })];
  let call = 0;
  (turn.content ?? []).forEach((b, i) => {
    if (b.type === 'text') for (const content of split(b.text)) out.push(chunk(number, { content }));
    if (b.type === 'thinking') for (const r of split(b.thinking)) out.push(chunk(number, { reasoning_content: r }));
    if (b.type === 'tool_use') {
      const index = call++;
      const id = b.id ?? `call_scripted_${number}_${i}`;
      out.push(chunk(number, { tool_calls: [{ index, id, type: 'function', function: { name: b.name, arguments: '' } }] }));
      for (const args of split(JSON.stringify(b.input ?? {}), 3))
        out.push(chunk(number, { tool_calls: [{ index, function: { arguments: args } }] }));
    }
  });
  const stop = turn.stop_reason ?? ((turn.content ?? []).some(b => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
  out.push(chunk(number, {}, FINISH[stop] ?? 'stop'));
  if (includeUsage) {
    const u = turn.usage ?? {};
    const cached = u.cache_read_input_tokens ?? 0;
    const prompt = (u.input_tokens ?? 10) + cached;
    const completion = u.output_tokens ?? 5;
    out.push({ id: `chatcmpl-${number}`, object: 'chat.completion.chunk', created: 0, model: 'scripted', choices: [],
      usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion,
        prompt_tokens_details: { cached_tokens: cached } } });
  }
  return out;
}

function sendError(res, status, message, type = 'invalid_request_error') {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message, type, code: status } }));
}

export async function startChatServer({ turns = [], port = 0, apiKey = null } = {}) {
  const script = new Script(turns);
  const { requests, headers } = script;

  async function completions(req, res) {
    let closed = false;
    res.once('close', () => { closed = true; });
    const text = await readBody(req);
    let body;
    try { body = JSON.parse(text); } catch { body = text; }
    script.record(req, body);
    if (apiKey !== null && req.headers.authorization !== `Bearer ${apiKey}`)
      return sendError(res, 401, 'Incorrect API key provided', 'invalid_api_key');
    const problem = checkChatRequest(body);
    if (problem) return sendError(res, 400, problem);
    const turn = script.next();
    if (turn === undefined)
      return sendError(res, 400, `chat_server: the script has ${script.turns.length} turns and all were played`);
    const number = script.played;
    if (turn.delay_ms) {
      await new Promise(resolve => {
        const t = setTimeout(resolve, turn.delay_ms);
        res.once('close', () => { clearTimeout(t); resolve(); });
      });
    }
    if (closed) return;
    if (turn.error && !turn.error.in_stream)
      return sendError(res, turn.error.status ?? 500, turn.error.message ?? 'scripted error',
        turn.error.status === 429 ? 'rate_limit_exceeded' : 'server_error');
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let chunks;
    if (turn.error) chunks = [chunk(number, { role: 'assistant', content: '' }),
      { error: { message: turn.error.message ?? 'scripted error', type: 'server_error', code: turn.error.status ?? 500 } }];
    else chunks = turn.chunks ?? turnChunks(turn, number, body.stream_options?.include_usage === true);
    for (let i = 0; i < chunks.length; i++) {
      if (closed) return;
      if (turn.cut_after === i) { cut(res); return; }
      res.write(`data: ${JSON.stringify(chunks[i])}\n\n`);
    }
    if (turn.done !== false && !turn.error) res.write('data: [DONE]\n\n');
    res.end();
  }

  const server = await serveScript({
    name: 'chat_server', port, script,
    route: (method, path) => (method === 'POST' && path === '/v1/chat/completions' ? completions : null),
    sendError: (res, status, message) => sendError(res, status, message),
  });
  return {
    url: `http://127.0.0.1:${server.port}/v1`,
    port: server.port,
    requests,
    headers,
    get played() { return script.played; },
    close: () => server.close(),
  };
}

// The script file: one JSON document (a turn, an array of turns, or {turns}), or JSON lines.
function parseScript(text) {
  if (!text.trim()) return [];
  try { const whole = JSON.parse(text); return Array.isArray(whole) ? whole : whole.turns ?? [whole]; }
  catch { return text.split('\n').filter(l => l.trim()).map(l => JSON.parse(l)); }
}

if (isMain(import.meta.url)) await runCommandLine({ name: 'chat_server', parseScript, start: startChatServer });
