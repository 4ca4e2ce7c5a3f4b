// Writes the scripted-model scripts the sessions benchmark uses into DIR.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
mkdirSync(dir, { recursive: true });
const usage = { input_tokens: 10, output_tokens: 5 };
const use = (i, name, input) => ({ content: [{ type: 'tool_use', id: `toolu_${i}`, name, input }], stop_reason: 'tool_use', usage });
const end = { content: [{ type: 'text', text: 'done' }], stop_reason: 'end_turn', usage };
const write = (name, turns) => writeFileSync(join(dir, name), JSON.stringify({ turns }) + '\n');

write('first.json', [use(1, 'bash', { command: 'true' }), end]);
write('bash.json', [...Array.from({ length: 200 }, (_, i) => use(i, 'bash', { command: 'true' })), end]);
write('read.json', [...Array.from({ length: 200 }, (_, i) => use(i, 'read', { file_path: 'small.txt' })), end]);
write('twenty.json', [...Array.from({ length: 20 }, (_, i) => use(i, 'bash', { command: 'true' })), end]);
