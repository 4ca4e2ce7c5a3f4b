// A small MCP server on @modelcontextprotocol/sdk for what server-everything cannot show:
// several tools/list pages, bearer auth (401/403), stateless and JSON-reply modes, sessions
// that expire (404), tools/list_changed, and a reply stream the server closes mid-call.
// Loopback only. Prints "PORT <n>" on stdout once listening.
//   env: MODE=stateful|stateless  JSON=0|1  TOKEN=<bearer>  PAGE=<page size>  PORT=<n, 0=any>
//        POST_ONLY=1 (GET and DELETE get 405, as on GitHub's server)  DEBUG=1 (log requests)
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema, EmptyResultSchema, ListToolsRequestSchema, McpError, ErrorCode,
} from '@modelcontextprotocol/sdk/types.js';

const MODE = process.env.MODE || 'stateful';
const JSON_REPLIES = process.env.JSON === '1';
const TOKEN = process.env.TOKEN || '';
const PAGE = Number(process.env.PAGE || 2);
const ONE_PIXEL_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const tools = [
  { name: 'add', description: 'a + b', inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
    outputSchema: { type: 'object', properties: { sum: { type: 'number' } } } },
  { name: 'fail', description: 'always a tool-level error', inputSchema: { type: 'object' } },
  { name: 'image', description: 'a one-pixel PNG', inputSchema: { type: 'object' } },
  { name: 'link', description: 'a resource link and an embedded resource', inputSchema: { type: 'object' } },
  { name: 'audio', description: 'an audio block and a blob resource', inputSchema: { type: 'object' } },
  { name: 'slow', description: 'steps of 200 ms with progress', inputSchema: { type: 'object', properties: { steps: { type: 'number' } } } },
  { name: 'grow', description: 'adds a tool and announces list_changed', inputSchema: { type: 'object' } },
  { name: 'expire', description: 'forgets every session after answering', inputSchema: { type: 'object' } },
  { name: 'drop', description: 'closes its reply stream, answers later (resumable)', inputSchema: { type: 'object' } },
  { name: 'whoami', description: 'echoes request headers seen', inputSchema: { type: 'object' } },
  { name: 'ping_client', description: 'pings the client from inside the call', inputSchema: { type: 'object' } },
];

// Event store for resumability: every event keeps its stream; replay only that stream.
class EventStore {
  constructor() { this.events = []; }
  async storeEvent(streamId, message) {
    const eventId = `${streamId}::${this.events.length}`;
    this.events.push({ eventId, streamId, message });
    return eventId;
  }
  async getStreamIdForEventId(eventId) { return eventId.split('::')[0]; }
  async replayEventsAfter(lastEventId, { send }) {
    const at = this.events.findIndex(e => e.eventId === lastEventId);
    if (at < 0) return '';
    const streamId = this.events[at].streamId;
    for (const e of this.events.slice(at + 1))
      if (e.streamId === streamId) await send(e.eventId, e.message);
    return streamId;
  }
}

const sessions = new Map();
let lastHeaders = {};

function makeServer() {
  const server = new Server({ name: 'cove-test-server', version: '1.0.0' },
    { capabilities: { tools: { listChanged: true } }, instructions: 'test server for cove' });
  server.setRequestHandler(ListToolsRequestSchema, async (req) => {
    const start = req.params?.cursor !== undefined ? Number(Buffer.from(req.params.cursor, 'base64').toString()) : 0;
    if (!Number.isInteger(start) || start < 0 || start > tools.length)
      throw new McpError(ErrorCode.InvalidParams, 'bad cursor');
    const end = start + PAGE;
    const page = { tools: tools.slice(start, end) };
    if (end < tools.length) page.nextCursor = Buffer.from(String(end)).toString('base64');
    return page;
  });
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const { name, arguments: args = {} } = req.params;
    const token = req.params._meta?.progressToken;
    switch (name) {
      case 'add': {
        const sum = args.a + args.b;
        return { content: [{ type: 'text', text: JSON.stringify({ sum }) }], structuredContent: { sum } };
      }
      case 'fail': return { content: [{ type: 'text', text: 'this tool always fails' }], isError: true };
      case 'image': return { content: [{ type: 'image', data: ONE_PIXEL_PNG, mimeType: 'image/png' }] };
      case 'link': return { content: [
        { type: 'resource_link', uri: 'test://doc/1', name: 'doc-1', mimeType: 'text/plain' },
        { type: 'resource', resource: { uri: 'test://doc/1', mimeType: 'text/plain', text: 'hello' } }] };
      case 'audio': return { content: [
        { type: 'audio', data: 'UklGRg==', mimeType: 'audio/wav' },
        { type: 'resource', resource: { uri: 'test://bin/1', mimeType: 'application/octet-stream', blob: 'AAEC' } }] };
      case 'slow': {
        const steps = Number(args.steps || 5);
        for (let i = 1; i <= steps; i++) {
          if (extra.signal.aborted) return { content: [{ type: 'text', text: 'cancelled' }], isError: true };
          await new Promise(r => setTimeout(r, 200));
          if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress',
            params: { progressToken: token, progress: i, total: steps, message: `step ${i}` } });
        }
        return { content: [{ type: 'text', text: `done after ${steps} steps` }] };
      }
      case 'grow': {
        tools.push({ name: `extra_${tools.length}`, description: 'added at run time', inputSchema: { type: 'object' } });
        setTimeout(() => { for (const s of servers) s.sendToolListChanged().catch(() => {}); }, 10);
        return { content: [{ type: 'text', text: `now ${tools.length} tools` }] };
      }
      case 'expire':
        setTimeout(() => { for (const t of sessions.values()) t.close(); sessions.clear(); }, 50);
        return { content: [{ type: 'text', text: 'sessions will be forgotten' }] };
      case 'drop': {
        if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress',
          params: { progressToken: token, progress: 1, total: 2 } });
        if (!extra.closeSSEStream) return { content: [{ type: 'text', text: 'no event store' }], isError: true };
        extra.closeSSEStream();
        await new Promise(r => setTimeout(r, 300));
        return { content: [{ type: 'text', text: 'answered after the stream was closed' }] };
      }
      case 'ping_client': {
        const reply = await extra.sendRequest({ method: 'ping' }, EmptyResultSchema);
        return { content: [{ type: 'text', text: `client answered ping: ${JSON.stringify(reply)}` }] };
      }
      case 'whoami':
        return { content: [{ type: 'text', text: JSON.stringify(lastHeaders) }] };
      default:
        if (name.startsWith('extra_') && tools.some(t => t.name === name)) return { content: [{ type: 'text', text: name }] };
        throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    }
  });
  return server;
}
const servers = new Set();

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const text = Buffer.concat(chunks).toString();
  if (!text) return undefined;
  try { return JSON.parse(text); } catch { return text; }
}

const httpServer = http.createServer(async (req, res) => {
  if (process.env.DEBUG) console.error(`${req.method} ${req.url} sid=${req.headers['mcp-session-id'] || '-'} last=${req.headers['last-event-id'] || '-'}`);
  if (!req.url.startsWith('/mcp')) { res.writeHead(404).end(); return; }
  lastHeaders = { 'mcp-protocol-version': req.headers['mcp-protocol-version'] || null,
                  'has-session': Boolean(req.headers['mcp-session-id']) };
  if (TOKEN) {
    const auth = req.headers.authorization || '';
    if (auth === 'Bearer readonly') {
      res.writeHead(403, { 'WWW-Authenticate': 'Bearer error="insufficient_scope", scope="tools:write"' }).end();
      return;
    }
    if (auth !== `Bearer ${TOKEN}`) {
      res.writeHead(401, { 'WWW-Authenticate': `Bearer resource_metadata="http://127.0.0.1:${httpServer.address().port}/.well-known/oauth-protected-resource/mcp"`,
                           'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_token' }));
      return;
    }
  }
  if (process.env.POST_ONLY && req.method !== 'POST') { res.writeHead(405).end(); return; }  // like GitHub's
  const body = req.method === 'POST' ? await readBody(req) : undefined;
  if (MODE === 'stateless') {
    const server = makeServer();
    servers.add(server);
    const t = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: JSON_REPLIES });
    res.on('close', () => { t.close(); server.close(); servers.delete(server); });
    await server.connect(t);
    await t.handleRequest(req, res, body);
    return;
  }
  const sid = req.headers['mcp-session-id'];
  let t = sid ? sessions.get(sid) : undefined;
  if (!t) {
    if (sid) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
      return;
    }
    const server = makeServer();
    servers.add(server);
    t = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(), enableJsonResponse: JSON_REPLIES,
      eventStore: JSON_REPLIES ? undefined : new EventStore(), retryInterval: 200,
      onsessioninitialized: (id) => sessions.set(id, t),
      onsessionclosed: (id) => sessions.delete(id),
    });
    t.onclose = () => servers.delete(server);
    await server.connect(t);
  }
  await t.handleRequest(req, res, body);
});
httpServer.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`PORT ${httpServer.address().port}`);
});
