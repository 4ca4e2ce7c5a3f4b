// One task in a cove session, driven by the official TypeScript SDK (@anthropic-ai/sdk).
// The same script runs against Anthropic's hosted Managed Agents: only the base URL differs.
//
//   cove serve &                                   # prints its API key on first start
//   export ANTHROPIC_BASE_URL=http://127.0.0.1:8420 ANTHROPIC_API_KEY=$(cove key)
//   REPO_URL=https://github.com/you/app REPO_TOKEN=... node examples/sdk-session.mjs "Fix the failing test"
//
// Environment: ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY (read by the SDK: cove's address and
// cove's key, never a model provider's), REPO_URL (optional: a repository mounted at
// /workspace/repo), REPO_TOKEN (optional: its token), MODEL (default claude-sonnet-4-5).
// Exits 0 when the agent finished its turn, 1 when the session reported an error.
import Anthropic from '@anthropic-ai/sdk';

const task = process.argv.slice(2).join(' ') || 'Look around /workspace and say what this project is.';
const client = new Anthropic();

const agent = await client.beta.agents.create({
  name: 'sdk-session example',
  model: process.env.MODEL || 'claude-sonnet-4-5',
  system: 'You are a careful software engineer. Work in /workspace.',
  tools: [{ type: 'agent_toolset_20260401' }],
});
const environment = await client.beta.environments.create({
  name: `sdk-session-${Date.now()}`,
  config: { type: 'cloud', networking: { type: 'unrestricted' } },
});
const resources = [];
if (process.env.REPO_URL) {
  resources.push({
    type: 'github_repository',
    url: process.env.REPO_URL,
    mount_path: '/workspace/repo',
    ...(process.env.REPO_TOKEN ? { authorization_token: process.env.REPO_TOKEN } : {}),
  });
}
const session = await client.beta.sessions.create({ agent: agent.id, environment_id: environment.id, resources });
console.log(`session ${session.id}`);

// Open the stream before sending, so no event is missed.
const stream = await client.beta.sessions.events.stream(session.id);
await client.beta.sessions.events.send(session.id, {
  events: [{ type: 'user.message', content: [{ type: 'text', text: task }] }],
});

let failed = false;
for await (const event of stream) {
  if (event.type === 'agent.message') {
    for (const block of event.content) if (block.type === 'text') console.log(`agent: ${block.text}`);
  } else if (event.type === 'agent.tool_use') {
    console.log(`tool:  ${event.name} ${JSON.stringify(event.input)}`);
  } else if (event.type === 'agent.tool_result') {
    const text = (event.content ?? []).filter((b) => b.type === 'text').map((b) => b.text).join('');
    console.log(`       ${event.is_error ? 'error: ' : ''}${text.trim().split('\n').slice(0, 5).join('\n       ')}`);
  } else if (event.type === 'session.error') {
    console.error(`error: ${event.error.message}`);
    failed = true;
  } else if (event.type === 'session.status_idle' && event.stop_reason?.type !== 'requires_action') {
    break;  // the turn is over (end_turn, or the model's retries ran out)
  } else if (event.type === 'session.status_terminated') {
    break;
  }
}

const done = await client.beta.sessions.retrieve(session.id);
console.log(`usage: ${done.usage?.input_tokens ?? 0} tokens in, ${done.usage?.output_tokens ?? 0} out`);
process.exit(failed ? 1 : 0);
