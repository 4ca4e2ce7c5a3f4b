// tools/call round trips with the official TypeScript SDK client (same server, same tool).
//   node sdk_bench.mjs URL CALLS   prints "sdk <p50 ms> <p99 ms> <calls/s>"
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url, callsArg] = process.argv.slice(2);
const calls = Number(callsArg);
const client = new Client({ name: 'sdk-bench', version: '1.0.0' });
await client.connect(new StreamableHTTPClientTransport(new URL(url)));
const args = { name: 'echo', arguments: { message: 'bench' } };
for (let i = 0; i < 200; i++) await client.callTool(args);
const ms = [];
const start = process.hrtime.bigint();
for (let i = 0; i < calls; i++) {
  const t0 = process.hrtime.bigint();
  const r = await client.callTool(args);
  ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  if (r.content[0].text !== 'Echo: bench') throw new Error('unexpected reply');
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
ms.sort((a, b) => a - b);
const at = q => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
console.log(`sdk ${at(0.5).toFixed(3)} ${at(0.99).toFixed(3)} ${(ms.length / seconds).toFixed(0)}`);
await client.close();
