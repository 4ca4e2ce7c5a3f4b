// Sessions that do the work, driven through the official @anthropic-ai/sdk against
// `cove serve`, with a Messages-API model server playing scripted turns, a cove forge as the
// token-protected git remote and server-everything as a real MCP peer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { startModelServer } from '../models/model_server.mjs';
import { startCove, startForge, startEverything, collect, idleCount, turn, loopTypes, text, say, use, tempDir, agentAndEnv } from './harness.mjs';

test('tools in a mounted repository, a push through the git proxy, and token rotation', async () => {
  const forge = await startForge();
  const repoURL = forge.createRepo('acme/app', { 'README.md': '# App\nHello from acme.\n', 'src/main.c': 'int main(void) { return 0; }\n' });
  const token1 = forge.createToken('acme/app');
  const model = await startModelServer({
    turns: [
      use('bash', { command: 'ls' }, 'Looking around.'),
      use('read', { file_path: 'README.md' }),
      use('edit', { file_path: 'README.md', old_string: 'Hello from acme.', new_string: 'Hello from cove.' }),
      use('glob', { pattern: '**/*.c' }),
      use('grep', { pattern: 'cove' }),
      use('bash', { command: 'git checkout -q -b feature && git commit -qam "Greet from cove" && git push -q origin feature 2>&1 && echo pushed' }),
      use('bash', { command: 'cat /proc/[0-9]*/environ 2>/dev/null | tr "\\0" "\\n" | sort -u; git config --list; cat .git/config' }),
      say('Pushed the change on branch feature.'),
      // After the rotation.
      use('bash', { command: 'git commit -q --allow-empty -m "Second push" && git push -q origin feature 2>&1 && echo pushed again' }),
      say('Pushed again.'),
    ],
  });
  const cove = await startCove({ modelURL: model.url });
  try {
    const { sdk } = cove;
    const { agent, env } = await agentAndEnv(sdk);
    const session = await sdk.beta.sessions.create({
      agent: agent.id, environment_id: env.id,
      resources: [{ type: 'github_repository', url: repoURL, authorization_token: token1 }],
    });
    const events = await turn(sdk, session.id, 'Change the greeting and push it.', { deltas: true });
    const toolTurn = ['span.model_request_start', 'agent.tool_use', 'span.model_request_end', 'agent.tool_result'];
    assert.deepEqual(loopTypes(events), [
      'user.message', 'session.status_running',
      'span.model_request_start', 'agent.message', 'agent.tool_use', 'span.model_request_end', 'agent.tool_result',
      ...Array(6).fill(toolTurn).flat(),
      'span.model_request_start', 'agent.message', 'span.model_request_end',
      'session.status_idle',
    ]);
    const setup = events.filter((e) => e.type === 'span.setup_step_end');
    assert.deepEqual(setup.map((e) => e.step), ['repository', 'sandbox', 'network', 'shell', 'model']);
    // The model step names what plays the agent's model (here the Anthropic provider at the
    // loopback model server).
    assert.match(setup.at(-1).name, /^anthropic claude-test at http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(setup.every((e) => e.is_error === false && e.duration_ms >= 0));
    const results = events.filter((e) => e.type === 'agent.tool_result');
    const uses = events.filter((e) => e.type === 'agent.tool_use');
    results.forEach((r, i) => assert.equal(r.tool_use_id, uses[i].id));
    assert.deepEqual(uses.map((u) => u.evaluated_permission), Array(7).fill('allow'));
    assert.deepEqual(results.map((r) => r.is_error), Array(7).fill(false), JSON.stringify(results.map((r) => text(r.content))));
    assert.match(text(results[0].content), /README\.md/);
    assert.match(text(results[0].content), /src/);
    assert.match(text(results[1].content), /Hello from acme\./);
    assert.match(text(results[3].content), /\/workspace\/app\/src\/main\.c/);
    assert.match(text(results[4].content), /README\.md:2:Hello from cove\./);
    assert.match(text(results[5].content), /pushed/);
    // Inside the sandbox: the remote is the git proxy, and no token anywhere.
    const inside = text(results[6].content);
    assert.match(inside, /remote\.origin\.url=http:\/\/127\.0\.0\.1:7418\/app\.git/);
    assert.ok(!inside.includes(token1), 'the token is not inside the sandbox');
    // Previews: the first message streamed before it was stored.
    const firstMessage = events.find((e) => e.type === 'agent.message');
    assert.equal(text(firstMessage.content), 'Looking around.');
    assert.ok(events.some((e) => e.type === 'event_start' && e.event.id === firstMessage.id));
    // The model saw the history: every request after the first answers the previous tool use.
    assert.equal(model.requests.length, 8);
    const last = model.requests[7];
    assert.equal(last.messages.at(-1).content[0].type, 'tool_result');

    // The branch is on the forge with the edit.
    const clone = tempDir('cove-clone-');
    execFileSync('git', ['-c', `http.extraHeader=Authorization: Bearer ${token1}`, 'clone', '-q', '-b', 'feature', repoURL, clone]);
    assert.match(execFileSync('cat', [`${clone}/README.md`], { encoding: 'utf8' }), /Hello from cove\./);
    rmSync(clone, { recursive: true, force: true });

    // Rotate: new token through the API, old one revoked at the server; the next push works.
    const token2 = forge.createToken('acme/app');
    const [resource] = (await sdk.beta.sessions.resources.list(session.id)).data;
    await sdk.beta.sessions.resources.update(resource.id, { session_id: session.id, authorization_token: token2 });
    forge.revoke(token1);
    const again = await turn(sdk, session.id, 'Push once more.');
    const r2 = again.filter((e) => e.type === 'agent.tool_result');
    assert.equal(r2.length, 1);
    assert.equal(r2[0].is_error, false, text(r2[0].content));
    assert.match(text(r2[0].content), /pushed again/);

    // No token in any event.
    const all = [];
    for await (const e of sdk.beta.sessions.events.list(session.id, { limit: 1000 })) all.push(e);
    const dump = JSON.stringify(all);
    for (const t of [token1, token2]) assert.ok(!dump.includes(t), 'a token leaked into the events');
    const s = await sdk.beta.sessions.retrieve(session.id);
    assert.equal(s.usage.input_tokens, 7 * 30 + 20 + 30 + 20);
    assert.ok(s.stats.active_seconds > 0);
    assert.ok(s.stats.setup_ms.sandbox > 0);
  } finally {
    await cove.stop();
    await model.close();
    await forge.stop();
  }
});

test('an MCP tool call to server-everything, with the bearer token from a vault', async () => {
  const everything = await startEverything();
  const model = await startModelServer({
    turns: [use('mcp__everything__echo', { message: 'hello mcp' }), say('The server echoed.')],
  });
  const cove = await startCove({ modelURL: model.url });
  try {
    const { sdk } = cove;
    const { agent, env } = await agentAndEnv(sdk, {
      tools: [{ type: 'agent_toolset_20260401' }, { type: 'mcp_toolset', mcp_server_name: 'everything', default_config: { permission_policy: { type: 'always_allow' } } }],
      mcp_servers: [{ type: 'url', name: 'everything', url: everything.url }],
    });
    const vault = await sdk.beta.vaults.create({ display_name: 'v' });
    await sdk.beta.vaults.credentials.create(vault.id, { auth: { type: 'static_bearer', mcp_server_url: everything.url, token: 'mcp-bearer-secret' } });
    const session = await sdk.beta.sessions.create({ agent: agent.id, environment_id: env.id, vault_ids: [vault.id] });
    const events = await turn(sdk, session.id, 'Echo something.');
    assert.deepEqual(loopTypes(events), [
      'user.message', 'session.status_running',
      'span.model_request_start', 'agent.mcp_tool_use', 'span.model_request_end', 'agent.mcp_tool_result',
      'span.model_request_start', 'agent.message', 'span.model_request_end', 'session.status_idle',
    ]);
    const use_ = events.find((e) => e.type === 'agent.mcp_tool_use');
    assert.equal(use_.mcp_server_name, 'everything');
    assert.equal(use_.name, 'echo');
    assert.equal(use_.evaluated_permission, 'allow');
    const result = events.find((e) => e.type === 'agent.mcp_tool_result');
    assert.equal(result.mcp_tool_use_id, use_.id);
    assert.equal(result.is_error, false);
    assert.match(text(result.content), /hello mcp/);
    // The model was offered the server's tools under their MCP names.
    assert.ok(model.requests[0].tools.some((t) => t.name === 'mcp__everything__echo'));
    assert.ok(!JSON.stringify(events).includes('mcp-bearer-secret'));
  } finally {
    await cove.stop();
    await model.close();
    await everything.stop();
  }
});

test('always_ask: allow runs the tool, deny gives the model the deny message', async () => {
  const model = await startModelServer({
    turns: [use('bash', { command: 'echo allowed-ran' }), use('bash', { command: 'echo must-not-run' }), say('Understood.')],
  });
  const cove = await startCove({ modelURL: model.url });
  try {
    const { sdk } = cove;
    const { agent, env } = await agentAndEnv(sdk, {
      tools: [{ type: 'agent_toolset_20260401', configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }] }],
    });
    const session = await sdk.beta.sessions.create({ agent: agent.id, environment_id: env.id });
    const first = await turn(sdk, session.id, 'Run things.');
    const ask = first.find((e) => e.type === 'agent.tool_use');
    assert.equal(ask.evaluated_permission, 'ask');
    assert.deepEqual(ask.evaluation, { type: 'always_ask' });
    const idle = first.at(-1);
    assert.deepEqual(idle.stop_reason, { type: 'requires_action', event_ids: [ask.id] });
    assert.ok(!first.some((e) => e.type === 'agent.tool_result'), 'nothing ran before the confirmation');

    let stream = await sdk.beta.sessions.events.stream(session.id);
    let got = collect(stream, idleCount(1));
    await sdk.beta.sessions.events.send(session.id, { events: [{ type: 'user.tool_confirmation', tool_use_id: ask.id, result: 'allow' }] });
    const second = await got;
    const allowed = second.find((e) => e.type === 'agent.tool_result');
    assert.equal(allowed.tool_use_id, ask.id);
    assert.match(text(allowed.content), /allowed-ran/);
    const ask2 = second.find((e) => e.type === 'agent.tool_use');
    assert.deepEqual(second.at(-1).stop_reason, { type: 'requires_action', event_ids: [ask2.id] });

    stream = await sdk.beta.sessions.events.stream(session.id);
    got = collect(stream, idleCount(1));
    await sdk.beta.sessions.events.send(session.id, { events: [{ type: 'user.tool_confirmation', tool_use_id: ask2.id, result: 'deny', deny_message: 'not today' }] });
    const third = await got;
    const denied = third.find((e) => e.type === 'agent.tool_result');
    assert.equal(denied.is_error, true);
    assert.match(text(denied.content), /not today/);
    assert.equal(third.at(-1).stop_reason.type, 'end_turn');
    // The model got the denial as an error tool result.
    const lastReq = model.requests.at(-1);
    const block = lastReq.messages.at(-1).content.find((b) => b.type === 'tool_result');
    assert.equal(block.is_error, true);
    assert.ok(!JSON.stringify(model.requests).includes('must-not-run\\n'), 'the denied command never ran');
  } finally {
    await cove.stop();
    await model.close();
  }
});

test('a custom tool waits for the client result', async () => {
  const model = await startModelServer({ turns: [use('get_weather', { city: 'Oslo' }), say('It is sunny.')] });
  const cove = await startCove({ modelURL: model.url });
  try {
    const { sdk } = cove;
    const { agent, env } = await agentAndEnv(sdk, {
      tools: [{ type: 'custom', name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }],
    });
    const session = await sdk.beta.sessions.create({ agent: agent.id, environment_id: env.id });
    const first = await turn(sdk, session.id, 'Weather?');
    const call = first.find((e) => e.type === 'agent.custom_tool_use');
    assert.equal(call.name, 'get_weather');
    assert.deepEqual(call.input, { city: 'Oslo' });
    assert.deepEqual(first.at(-1).stop_reason, { type: 'requires_action', event_ids: [call.id] });
    const stream = await sdk.beta.sessions.events.stream(session.id);
    const got = collect(stream, idleCount(1));
    await sdk.beta.sessions.events.send(session.id, { events: [{ type: 'user.custom_tool_result', custom_tool_use_id: call.id, content: [{ type: 'text', text: 'sunny, 21C' }] }] });
    const second = await got;
    assert.deepEqual(loopTypes(second), ['user.custom_tool_result', 'session.status_running', 'span.model_request_start', 'agent.message', 'span.model_request_end', 'session.status_idle']);
    const block = model.requests[1].messages.at(-1).content[0];
    assert.equal(block.type, 'tool_result');
    assert.equal(block.tool_use_id, call.id);
    assert.equal(block.content[0].text, 'sunny, 21C');
  } finally {
    await cove.stop();
    await model.close();
  }
});

test('user.interrupt stops a long command promptly and kills it', async () => {
  const model = await startModelServer({
    turns: [use('bash', { command: 'sleep 300' }), use('bash', { command: 'command -v pgrep >/dev/null || { echo no pgrep; exit 127; }; pgrep -x sleep || echo no-sleep-left' }), say('ok')],
  });
  const cove = await startCove({ modelURL: model.url });
  try {
    const { sdk } = cove;
    const { agent, env } = await agentAndEnv(sdk);
    const session = await sdk.beta.sessions.create({ agent: agent.id, environment_id: env.id });
    const stream = await sdk.beta.sessions.events.stream(session.id);
    const events = [];
    let interruptedAt = 0;
    const done = (async () => {
      for await (const ev of stream) {
        events.push(ev);
        if (ev.type === 'agent.tool_use' && !interruptedAt) {
          await new Promise((r) => setTimeout(r, 300));
          interruptedAt = Date.now();
          await sdk.beta.sessions.events.send(session.id, { events: [{ type: 'user.interrupt' }] });
        }
        if (ev.type === 'session.status_idle') break;
      }
    })();
    await sdk.beta.sessions.events.send(session.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'Sleep.' }] }] });
    await done;
    const elapsed = Date.now() - interruptedAt;
    assert.ok(elapsed < 5000, `the turn took ${elapsed} ms to stop after the interrupt`);
    const result = events.find((e) => e.type === 'agent.tool_result');
    assert.equal(result.is_error, true);
    assert.equal(events.at(-1).stop_reason.type, 'end_turn');
    const interrupt = events.find((e) => e.type === 'user.interrupt');
    assert.ok(interrupt, 'the interrupt is echoed');
    const after = await turn(sdk, session.id, 'Anything still sleeping?');
    const check = after.find((e) => e.type === 'agent.tool_result');
    assert.match(text(check.content), /no-sleep-left/);
  } finally {
    await cove.stop();
    await model.close();
  }
});

test('overloaded (529) replies are retried with backoff, then the turn completes', async () => {
  const model = await startModelServer({
    turns: [{ error: { status: 529, message: 'Overloaded' } }, { error: { status: 529, message: 'Overloaded' } }, say('Finally.')],
  });
  const cove = await startCove({ modelURL: model.url });
  try {
    const { sdk } = cove;
    const { agent, env } = await agentAndEnv(sdk);
    const session = await sdk.beta.sessions.create({ agent: agent.id, environment_id: env.id });
    const events = await turn(sdk, session.id, 'Hi');
    const retry = ['span.model_request_start', 'span.model_request_end', 'session.error', 'session.status_rescheduled', 'session.status_running'];
    assert.deepEqual(loopTypes(events), [
      'user.message', 'session.status_running', ...retry, ...retry,
      'span.model_request_start', 'agent.message', 'span.model_request_end', 'session.status_idle',
    ]);
    const errors = events.filter((e) => e.type === 'session.error');
    assert.deepEqual(errors.map((e) => [e.error.type, e.error.retry_status.type]), [['model_overloaded_error', 'retrying'], ['model_overloaded_error', 'retrying']]);
    assert.equal(events.filter((e) => e.type === 'span.model_request_end')[0].is_error, true);
    assert.equal(events.at(-1).stop_reason.type, 'end_turn');
    assert.equal(model.requests.length, 3);
  } finally {
    await cove.stop();
    await model.close();
  }
});

test('retries run out: session.error exhausted and idle with retries_exhausted', async () => {
  // The first attempt and 4 retries.
  const model = await startModelServer({ turns: Array(5).fill({ error: { status: 500, message: 'boom' } }) });
  const cove = await startCove({ modelURL: model.url });
  try {
    const { sdk } = cove;
    const { agent, env } = await agentAndEnv(sdk);
    const session = await sdk.beta.sessions.create({ agent: agent.id, environment_id: env.id });
    const events = await turn(sdk, session.id, 'Hi');
    const errors = events.filter((e) => e.type === 'session.error');
    assert.equal(errors.length, 5);
    assert.deepEqual(errors.map((e) => e.error.retry_status.type), ['retrying', 'retrying', 'retrying', 'retrying', 'exhausted']);
    assert.equal(errors[0].error.type, 'model_request_failed_error');
    assert.equal(model.requests.length, 5);
    assert.equal(events.at(-1).stop_reason.type, 'retries_exhausted');
  } finally {
    await cove.stop();
    await model.close();
  }
});

test('an MCP server that is not one: the session.error says so without quoting its answer', async () => {
  const { createServer } = await import('node:http');
  const canary = createServer((req, res) => {
    res.writeHead(405, { 'content-type': 'text/x-canary', 'www-authenticate': 'Bearer canary-challenge' });
    res.end('Method Not Allowed canary-body');
  });
  await new Promise((r) => canary.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${canary.address().port}/mcp`;
  const model = await startModelServer({ turns: [say('Fine.')] });
  const cove = await startCove({ modelURL: model.url });
  try {
    const { sdk } = cove;
    const { agent, env } = await agentAndEnv(sdk, {
      tools: [{ type: 'agent_toolset_20260401' }, { type: 'mcp_toolset', mcp_server_name: 'canary' }],
      mcp_servers: [{ type: 'url', name: 'canary', url }],
    });
    const session = await sdk.beta.sessions.create({ agent: agent.id, environment_id: env.id });
    const events = await turn(sdk, session.id, 'Go.');
    const error = events.find((e) => e.type === 'session.error');
    assert.equal(error.error.type, 'mcp_connection_failed_error');
    assert.match(error.error.message, /HTTP status 405/);
    assert.doesNotMatch(error.error.message, /canary-body|Method Not Allowed|text\/x-canary|canary-challenge/);
    assert.equal(events.at(-1).stop_reason.type, 'end_turn');
  } finally {
    await cove.stop();
    await model.close();
    canary.close();
  }
});

test('with metadata cove.on_setup_failure=stop, a failed repository ends the turn before any model request', async () => {
  const model = await startModelServer({ turns: [say('I should not be asked.')] });
  const cove = await startCove({ modelURL: model.url });
  try {
    const { sdk } = cove;
    const { agent, env } = await agentAndEnv(sdk);
    const session = await sdk.beta.sessions.create({
      agent: agent.id, environment_id: env.id, metadata: { 'cove.on_setup_failure': 'stop' },
      resources: [{ type: 'github_repository', url: 'http://127.0.0.1:9/nobody/missing.git', authorization_token: 'tok-unused' }],
    });
    for (const attempt of [1, 2]) {  // torn down: the next turn sets up (and fails) again
      const events = await turn(sdk, session.id, 'Look.');
      const errors = events.filter((e) => e.type === 'session.error');
      assert.deepEqual(errors.map((e) => [e.error.type, e.error.retry_status.type]),
        [['repository_clone_error', 'exhausted'], ['repository_clone_error', 'exhausted']], `turn ${attempt}`);
      assert.match(errors[1].error.message, /set-up failed \(http:\/\/127\.0\.0\.1:9\/nobody\/missing\.git: .*\); the turn stopped before any model request/);
      assert.equal(events.at(-1).stop_reason.type, 'retries_exhausted');
      assert.ok(!events.some((e) => e.type === 'span.model_request_start'));
    }
    assert.equal(model.requests.length, 0);
  } finally {
    await cove.stop();
    await model.close();
  }
});

test('a repository that fails to clone is a session.error; the session goes on without it', async () => {
  const model = await startModelServer({ turns: [use('bash', { command: 'ls /workspace' }), say('Nothing there.')] });
  const cove = await startCove({ modelURL: model.url });
  try {
    const { sdk } = cove;
    const { agent, env } = await agentAndEnv(sdk);
    const session = await sdk.beta.sessions.create({
      agent: agent.id, environment_id: env.id,
      resources: [{ type: 'github_repository', url: 'http://127.0.0.1:9/nobody/missing.git', authorization_token: 'tok-unused' }],
    });
    const events = await turn(sdk, session.id, 'Look.');
    const error = events.find((e) => e.type === 'session.error');
    assert.equal(error.error.type, 'repository_clone_error');
    assert.equal(error.error.repository_url, 'http://127.0.0.1:9/nobody/missing.git');
    // Nothing retries a failed clone: saying "retrying" would be untrue.
    assert.equal(error.error.retry_status.type, 'exhausted');
    assert.equal(events.at(-1).stop_reason.type, 'end_turn');
    const result = events.find((e) => e.type === 'agent.tool_result');
    assert.equal(result.is_error, false);
  } finally {
    await cove.stop();
    await model.close();
  }
});

test('the repository workflow through the SDK: forge MCP server on the agent, token from a vault, repository mounted with a token', async () => {
  const forge = await startForge();
  const repoURL = forge.createRepo('acme/site', { 'index.html': '<h1>Helo</h1>\n' });
  const token = forge.createToken('acme/site');
  const mcpURL = `${forge.url}/mcp/`;
  const model = await startModelServer({
    turns: [
      use('edit', { file_path: 'index.html', old_string: 'Helo', new_string: 'Hello' }),
      use('bash', { command: 'git checkout -q -b fix-typo && git commit -qam "Fix typo" && git push -q origin fix-typo && echo pushed' }),
      use('mcp__github__create_pull_request', { owner: 'acme', repo: 'site', title: 'Fix typo', head: 'fix-typo', base: 'main', body: 'Helo → Hello' }),
      say('Opened a pull request.'),
    ],
  });
  const cove = await startCove({ modelURL: model.url });
  try {
    const { sdk } = cove;
    const { agent, env } = await agentAndEnv(sdk, {
      tools: [{ type: 'agent_toolset_20260401' }, { type: 'mcp_toolset', mcp_server_name: 'github', default_config: { permission_policy: { type: 'always_allow' } } }],
      mcp_servers: [{ type: 'url', name: 'github', url: mcpURL }],
    });
    const vault = await sdk.beta.vaults.create({ display_name: 'forge' });
    await sdk.beta.vaults.credentials.create(vault.id, { auth: { type: 'static_bearer', mcp_server_url: mcpURL, token } });
    const session = await sdk.beta.sessions.create({
      agent: agent.id, environment_id: env.id, vault_ids: [vault.id],
      resources: [{ type: 'github_repository', url: repoURL, authorization_token: token }],
    });
    const events = await turn(sdk, session.id, 'Fix the typo and open a pull request.');
    assert.deepEqual(loopTypes(events), [
      'user.message', 'session.status_running',
      'span.model_request_start', 'agent.tool_use', 'span.model_request_end', 'agent.tool_result',
      'span.model_request_start', 'agent.tool_use', 'span.model_request_end', 'agent.tool_result',
      'span.model_request_start', 'agent.mcp_tool_use', 'span.model_request_end', 'agent.mcp_tool_result',
      'span.model_request_start', 'agent.message', 'span.model_request_end', 'session.status_idle',
    ]);
    const pr = JSON.parse(text(events.find((e) => e.type === 'agent.mcp_tool_result').content));
    assert.equal(pr.number, 1);
    assert.equal(pr.state, 'open');
    assert.equal(pr.head.ref, 'fix-typo');
    assert.match(pr.html_url, /\/acme\/site\/pull\/1$/);
    assert.ok(!JSON.stringify(events).includes(token), 'the token never appears in an event');
    // The forge has the pull request with the fix.
    const clone = tempDir('cove-clone-');
    execFileSync('git', ['-c', `http.extraHeader=Authorization: Bearer ${token}`, 'clone', '-q', '-b', 'fix-typo', repoURL, clone]);
    assert.equal(execFileSync('cat', [`${clone}/index.html`], { encoding: 'utf8' }), '<h1>Hello</h1>\n');
    rmSync(clone, { recursive: true, force: true });
  } finally {
    await cove.stop();
    await model.close();
    await forge.stop();
  }
});

test('web_fetch follows the environment networking policy; web_search says it has no backend', async () => {
  const http = await import('node:http');
  const site = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html><head><script>var x=1;</script></head><body><h1>Local docs</h1><p>Fetched &amp; read.</p></body></html>');
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
  const pageURL = `http://127.0.0.1:${site.address().port}/docs`;
  const model = await startModelServer({
    turns: [use('web_fetch', { url: pageURL }), use('web_search', { query: 'cove' }), say('ok'), use('web_fetch', { url: pageURL }), say('refused')],
  });
  // Loopback is refused unless the daemon lets the proxy reach private addresses.
  const cove = await startCove({ modelURL: model.url, extra: ['--egress-allow-private'] });
  try {
    const { sdk } = cove;
    const agent = await sdk.beta.agents.create({ name: 'web', model: 'claude-test', tools: [{ type: 'agent_toolset_20260401' }] });
    const allowed = await sdk.beta.environments.create({ name: 'web-allowed', config: { type: 'cloud', networking: { type: 'limited', allowed_hosts: ['127.0.0.1'] } } });
    const closed = await sdk.beta.environments.create({ name: 'web-closed', config: { type: 'cloud', networking: { type: 'limited', allowed_hosts: ['example.invalid'] } } });
    const s1 = await sdk.beta.sessions.create({ agent: agent.id, environment_id: allowed.id });
    const first = await turn(sdk, s1.id, 'Read the docs.');
    const [fetched, searched] = first.filter((e) => e.type === 'agent.tool_result');
    assert.equal(fetched.is_error, false, text(fetched.content));
    assert.match(text(fetched.content), /Local docs/);
    assert.match(text(fetched.content), /Fetched & read\./);
    assert.ok(!text(fetched.content).includes('var x'), 'scripts are dropped');
    assert.equal(searched.is_error, true);
    assert.match(text(searched.content), /no search backend/);
    const s2 = await sdk.beta.sessions.create({ agent: agent.id, environment_id: closed.id });
    const second = await turn(sdk, s2.id, 'Read the docs.');
    const refused = second.find((e) => e.type === 'agent.tool_result');
    assert.equal(refused.is_error, true);
    assert.match(text(refused.content), /refused by the network policy/);
  } finally {
    await cove.stop();
    await model.close();
    site.close();
  }
});
