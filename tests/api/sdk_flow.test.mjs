// The seed flow of the spec, end to end through the official TypeScript SDK.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startServer, client, collect, removeDir } from './harness.mjs';

let server;
const bodies = [];
let sdk;

before(async () => {
  server = await startServer();
  sdk = client(server, bodies);
});
after(async () => {
  await server.stop();
  removeDir(server.home);
});

async function seedAgent(name = 'Seed Agent') {
  return sdk.beta.agents.create({
    name,
    model: 'claude-opus-4-8',
    system: 'You are a coding agent.',
    mcp_servers: [{ type: 'url', name: 'docs', url: 'https://mcp.example.com/mcp' }],
    tools: [
      { type: 'agent_toolset_20260401' },
      { type: 'mcp_toolset', mcp_server_name: 'docs', default_config: { permission_policy: { type: 'always_allow' } } },
    ],
  });
}

let envCounter = 0;
async function seedEnv() {
  return sdk.beta.environments.create({
    name: `seed-env-${++envCounter}`,
    config: { type: 'cloud', networking: { type: 'limited', allow_package_managers: true, allowed_hosts: ['api.example.com'] }, packages: { pip: ['requests'] } },
  });
}

test('seed flow: agent, environment, session with repo, token rotation, events', async () => {
  const agent = await seedAgent();
  assert.match(agent.id, /^agent_/);
  assert.equal(agent.version, 1);
  assert.deepEqual(agent.model, { id: 'claude-opus-4-8', speed: 'standard' });
  assert.equal(agent.tools[0].default_config.permission_policy.type, 'always_allow');
  assert.equal(agent.tools[1].default_config.permission_policy.type, 'always_allow');

  const env = await seedEnv();
  assert.match(env.id, /^env_/);
  assert.deepEqual(env.config.packages.pip, ['requests']);
  assert.deepEqual(env.config.packages.apt, []);
  assert.equal(env.config.networking.allow_mcp_servers, false);

  const session = await sdk.beta.sessions.create({
    agent: agent.id,
    environment_id: env.id,
    title: 'seed',
    resources: [{ type: 'github_repository', url: 'https://github.com/octo/hello', mount_path: '/workspace/hello', authorization_token: 'ghp_FIRST_SECRET', checkout: { type: 'branch', name: 'main' } }],
  });
  assert.match(session.id, /^sesn_/);
  assert.equal(session.status, 'idle');
  assert.equal(session.agent.id, agent.id);
  assert.equal(session.agent.version, 1);
  assert.equal(session.resources.length, 1);
  assert.match(session.resources[0].id, /^sesrsc_/);

  const resources = [];
  for await (const r of sdk.beta.sessions.resources.list(session.id)) resources.push(r);
  assert.equal(resources.length, 1);
  assert.equal(resources[0].mount_path, '/workspace/hello');
  const before = resources[0].updated_at;
  await new Promise((r) => setTimeout(r, 5));
  const rotated = await sdk.beta.sessions.resources.update(resources[0].id, { session_id: session.id, authorization_token: 'ghp_SECOND_SECRET' });
  assert.equal(rotated.id, resources[0].id);
  assert.notEqual(rotated.updated_at, before);

  const stream = await sdk.beta.sessions.events.stream(session.id, { event_deltas: ['agent.message'] });
  const got = collect(stream, (evs) => evs.some((e) => e.type === 'session.status_idle'));
  const sent = await sdk.beta.sessions.events.send(session.id, {
    events: [{ type: 'user.message', content: [{ type: 'text', text: 'List the repo files.' }] }],
  });
  assert.equal(sent.data.length, 1);
  assert.match(sent.data[0].id, /^sevt_/);
  assert.equal(sent.data[0].processed_at, null);
  const events = await got;
  const types = events.map((e) => e.type);
  assert.deepEqual(types.slice(0, 2), ['user.message', 'session.status_running']);
  assert.equal(events[0].id, sent.data[0].id);
  assert.equal(events.at(-1).type, 'session.status_idle');
  assert.equal(events.at(-1).stop_reason.type, 'end_turn');
  // Offline, the repository and the MCP server are refused without any network traffic; the
  // session goes on without them and the (scripted) model answers.
  const errors = events.filter((e) => e.type === 'session.error').map((e) => e.error.type);
  assert.deepEqual(errors.sort(), ['mcp_connection_failed_error', 'repository_clone_error']);
  const message = events.find((e) => e.type === 'agent.message');
  assert.deepEqual(message.content, [{ type: 'text', text: 'Done.' }]);
  // The message was previewed: event_start with the same id, then its text as a delta.
  const start = events.findIndex((e) => e.type === 'event_start');
  assert.ok(start >= 0 && start < types.indexOf('agent.message'), 'event_start precedes the message');
  assert.equal(events[start].event.id, message.id);

  const listed = [];
  for await (const e of sdk.beta.sessions.events.list(session.id, { types: ['user.message', 'agent.message'], limit: 50, order: 'asc' })) listed.push(e);
  assert.equal(listed.length, 2);
  assert.equal(listed[0].id, sent.data[0].id);
  assert.equal(listed[1].id, message.id);
  assert.ok(listed[0].processed_at, 'the message is marked processed');

  const again = await sdk.beta.sessions.retrieve(session.id);
  assert.equal(again.status, 'idle');
  assert.equal(again.resources[0].id, resources[0].id);

  // Write-only secrets: no response body ever carried a token.
  for (const b of bodies) {
    assert.ok(!b.includes('ghp_FIRST_SECRET') && !b.includes('ghp_SECOND_SECRET'), 'token leaked: ' + b);
    assert.ok(!b.includes('authorization_token'));
  }
});

test('agents: update makes versions, version mismatch is a conflict, archive', async () => {
  const agent = await seedAgent('versioned');
  const v2 = await sdk.beta.agents.update(agent.id, { version: 1, system: 'new', metadata: { k: 'v' } });
  assert.equal(v2.version, 2);
  assert.equal(v2.system, 'new');
  const same = await sdk.beta.agents.update(agent.id, { system: 'new' });
  assert.equal(same.version, 2, 'an update that changes nothing keeps the version');
  await assert.rejects(sdk.beta.agents.update(agent.id, { version: 1, system: 'x' }), Anthropic.ConflictError);
  const v1 = await sdk.beta.agents.retrieve(agent.id, { version: 1 });
  assert.equal(v1.system, 'You are a coding agent.');
  const versions = [];
  for await (const v of sdk.beta.agents.versions.list(agent.id)) versions.push(v.version);
  assert.deepEqual(versions, [1, 2]);
  const archived = await sdk.beta.agents.archive(agent.id);
  assert.ok(archived.archived_at);
  const env = await seedEnv();
  await assert.rejects(sdk.beta.sessions.create({ agent: agent.id, environment_id: env.id }), Anthropic.BadRequestError);
  const pinned = await seedAgent('pinned');
  await sdk.beta.agents.update(pinned.id, { system: 'second' });
  const s = await sdk.beta.sessions.create({ agent: { type: 'agent', id: pinned.id, version: 1 }, environment_id: env.id });
  assert.equal(s.agent.version, 1);
  assert.equal(s.agent.system, 'You are a coding agent.');
  const o = await sdk.beta.sessions.create({ agent: { type: 'agent_with_overrides', id: pinned.id, system: 'override', tools: [] , mcp_servers: [] }, environment_id: env.id });
  assert.equal(o.agent.system, 'override');
  assert.deepEqual(o.agent.tools, []);
});

test('pagination: agents, sessions (both directions) and events', async () => {
  for (let i = 0; i < 5; i++) await seedAgent(`page-${i}`);
  const all = [];
  for await (const a of sdk.beta.agents.list({ limit: 2 })) all.push(a.id);
  assert.equal(new Set(all).size, all.length, 'no duplicates across pages');
  assert.ok(all.length >= 5);

  const env = await seedEnv();
  const agent = await seedAgent('pager');
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push((await sdk.beta.sessions.create({ agent: agent.id, environment_id: env.id })).id);
  const listed = [];
  for await (const s of sdk.beta.sessions.list({ agent_id: agent.id, limit: 2 })) listed.push(s.id);
  assert.deepEqual(listed, [...ids].reverse(), 'newest first, every session once');
  const page1 = await sdk.beta.sessions.list({ agent_id: agent.id, limit: 2 });
  assert.equal(page1.prev_page, null);
  const page2 = await sdk.beta.sessions.list({ agent_id: agent.id, limit: 2, page: page1.next_page });
  assert.ok(page2.prev_page);
  const back = await sdk.beta.sessions.list({ agent_id: agent.id, limit: 2, page: page2.prev_page });
  assert.deepEqual(back.data.map((s) => s.id), page1.data.map((s) => s.id));
  const idle = [];
  for await (const s of sdk.beta.sessions.list({ agent_id: agent.id, statuses: ['idle'] })) idle.push(s.id);
  assert.equal(idle.length, 5);

  const sid = ids[0];
  for (let i = 0; i < 3; i++) await sdk.beta.sessions.events.send(sid, { events: [{ type: 'user.message', content: [{ type: 'text', text: `m${i}` }] }] });
  const texts = [];
  for await (const e of sdk.beta.sessions.events.list(sid, { types: ['user.message'], limit: 1 })) texts.push(e.content[0].text);
  assert.deepEqual(texts, ['m0', 'm1', 'm2']);
});

test('errors map to the SDK classes with request ids', async () => {
  await assert.rejects(sdk.beta.environments.retrieve('env_missing'), (e) => {
    assert.ok(e instanceof Anthropic.NotFoundError);
    assert.equal(e.status, 404);
    assert.match(e.requestID, /^req_/);
    assert.equal(e.error.error.details.error_code, 'environment_not_found');
    return true;
  });
  await assert.rejects(sdk.beta.agents.create({ name: 'x', model: 42 }), (e) => {
    assert.ok(e instanceof Anthropic.BadRequestError);
    assert.match(e.message, /model/);
    return true;
  });
  await assert.rejects(sdk.beta.agents.create({ name: 'x', model: 'm', tools: [{ type: 'mcp_toolset', mcp_server_name: 'nope' }] }), /tools\[0\]\.mcp_server_name/);
  await assert.rejects(sdk.beta.agents.create({ name: 'x', model: 'm', mcp_servers: [{ type: 'url', name: 'lonely', url: 'https://m/x' }] }), /mcp_servers\[0\]/);
  // A feature of the hosted API that cove lacks says so, rather than "no such endpoint".
  for (const call of [() => sdk.beta.files.list(), () => sdk.beta.memoryStores.list(), () => sdk.beta.skills.list()]) {
    await assert.rejects(call(), (e) => {
      assert.ok(e instanceof Anthropic.NotFoundError);
      assert.match(e.message, /cove does not implement .* \(GET \/v1\/[a-z_]+\); docs\/api\.md lists/);
      return true;
    });
  }
  const bad = new Anthropic({ apiKey: 'wrong', baseURL: server.baseURL, maxRetries: 0 });
  await assert.rejects(bad.beta.agents.list(), Anthropic.AuthenticationError);
  const env = await seedEnv();
  await assert.rejects(sdk.beta.environments.create({ name: env.name }), (e) => {
    assert.ok(e instanceof Anthropic.ConflictError);
    assert.equal(e.headers.get('x-should-retry'), 'false');
    return true;
  });
  await assert.rejects(sdk.beta.environments.update(env.id, { config: { type: 'self_hosted' } }), /invalid_config_type_change|cannot change/);
  // Unknown fields are tolerated.
  const ok = await sdk.beta.agents.create({ name: 'tolerant', model: 'm', some_future_field: { x: 1 } });
  assert.equal(ok.name, 'tolerant');
  // Oversized body: 413.
  await assert.rejects(sdk.beta.agents.create({ name: 'big', model: 'm', system: 'x'.repeat(5 * 1024 * 1024) }), Anthropic.ContentTooLargeError);
  // Wrong types deep inside are named.
  const agent = await seedAgent('types');
  const s = await sdk.beta.sessions.create({ agent: agent.id, environment_id: env.id });
  await assert.rejects(sdk.beta.sessions.events.send(s.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 7 }] }] }), /events\[0\]\.content\[0\]\.text must be a string/);
  await assert.rejects(sdk.beta.sessions.create({ agent: agent.id, environment_id: env.id, resources: [{ type: 'github_repository', url: 'https://github.com/a/b', mount_path: 'relative' }] }), /resources\[0\]\.mount_path must be absolute/);
});

test('repository URLs with credentials and mount paths outside /workspace are refused up front', async () => {
  const agent = await seedAgent('refusals');
  const env = await seedEnv();
  const secret = 'ghp_URL_SECRET_9';
  const refused = async (promise, field) => {
    await assert.rejects(promise, (e) => {
      assert.ok(e instanceof Anthropic.BadRequestError, String(e));
      assert.equal(e.error.type, 'error');
      assert.equal(e.error.error.type, 'invalid_request_error');
      assert.ok(e.error.error.message.includes(field), e.error.error.message);
      assert.ok(!JSON.stringify(e.error).includes(secret), JSON.stringify(e.error));
      return true;
    });
  };
  const create = (resources) => sdk.beta.sessions.create({ agent: agent.id, environment_id: env.id, resources });
  for (const url of [`http://x:${secret}@127.0.0.1:1/acme/app.git`, `http://${secret}@127.0.0.1:1/acme/app.git`])
    await refused(create([{ type: 'github_repository', url }]), 'resources[0].url must not contain credentials');
  for (const mount_path of ['/', '/proc', '/etc', '/usr/bin', '/workspace', '/workspace/../etc', '/workspace/a/'])
    await refused(create([{ type: 'github_repository', url: 'https://github.com/o/r', mount_path }]), 'resources[0].mount_path');
  await refused(create([
    { type: 'github_repository', url: 'https://github.com/o/a', mount_path: '/workspace/x' },
    { type: 'github_repository', url: 'https://github.com/o/b', mount_path: '/workspace/x' },
  ]), 'resources[1].mount_path is used by another resource');

  const s = await create([{ type: 'github_repository', url: 'https://github.com/o/r', mount_path: '/workspace/r' }]);
  await refused(sdk.beta.sessions.resources.add(s.id, { type: 'github_repository', url: `http://x:${secret}@127.0.0.1:1/a.git` }), 'url must not contain credentials');
  await refused(sdk.beta.sessions.resources.add(s.id, { type: 'github_repository', url: 'https://github.com/o/q', mount_path: '/etc' }), 'mount_path must be below /workspace/');
  await refused(sdk.beta.sessions.resources.add(s.id, { type: 'github_repository', url: 'https://github.com/o/q', mount_path: '/workspace/r' }), 'mount_path is used by another resource');
  await refused(sdk.beta.agents.create({ name: 'x', model: 'm', mcp_servers: [{ type: 'url', name: 'm', url: `https://u:${secret}@mcp.example.com/mcp` }] }), 'mcp_servers[0].url must not contain credentials');
  const listed = await sdk.beta.sessions.resources.list(s.id);
  assert.equal(listed.data.length, 1);
});

test('archive and delete: sessions, resources, environments; delete ends open streams', async () => {
  const agent = await seedAgent('lifecycle');
  const env = await seedEnv();
  const s = await sdk.beta.sessions.create({ agent: agent.id, environment_id: env.id });
  const added = await sdk.beta.sessions.resources.add(s.id, { type: 'file', file_id: 'file_A' });
  assert.equal(added.mount_path, '/mnt/session/uploads/file_A');
  const got = await sdk.beta.sessions.resources.retrieve(added.id, { session_id: s.id });
  assert.equal(got.id, added.id);
  await assert.rejects(sdk.beta.sessions.resources.update(added.id, { session_id: s.id, authorization_token: 't' }), Anthropic.BadRequestError);
  const del = await sdk.beta.sessions.resources.delete(added.id, { session_id: s.id });
  assert.equal(del.type, 'session_resource_deleted');

  const updated = await sdk.beta.sessions.update(s.id, { title: 'renamed', metadata: { a: 'b' } });
  assert.equal(updated.title, 'renamed');
  const archived = await sdk.beta.sessions.archive(s.id);
  assert.ok(archived.archived_at);
  assert.equal(archived.status, 'terminated');
  await assert.rejects(sdk.beta.sessions.events.send(s.id, { events: [{ type: 'user.message', content: [{ type: 'text', text: 'hi' }] }] }), Anthropic.ConflictError);

  const s2 = await sdk.beta.sessions.create({ agent: agent.id, environment_id: env.id });
  const stream = await sdk.beta.sessions.events.stream(s2.id);
  const all = collect(stream);
  const gone = await sdk.beta.sessions.delete(s2.id);
  assert.equal(gone.type, 'session_deleted');
  const evs = await all;
  assert.equal(evs.at(-1).type, 'session.deleted');
  await assert.rejects(sdk.beta.sessions.retrieve(s2.id), Anthropic.NotFoundError);

  const envArchived = await sdk.beta.environments.archive(env.id);
  assert.ok(envArchived.archived_at);
  await assert.rejects(sdk.beta.sessions.create({ agent: agent.id, environment_id: env.id }), Anthropic.BadRequestError);
  const envDel = await sdk.beta.environments.delete(env.id);
  assert.equal(envDel.type, 'environment_deleted');
});

test('vaults and static_bearer credentials keep their secrets', async () => {
  const vault = await sdk.beta.vaults.create({ display_name: 'mcp creds' });
  assert.match(vault.id, /^vlt_/);
  const cred = await sdk.beta.vaults.credentials.create(vault.id, { auth: { type: 'static_bearer', mcp_server_url: 'https://mcp.example.com/mcp', token: 'BEARER_SECRET_1' } });
  assert.match(cred.id, /^vcrd_/);
  assert.deepEqual(cred.auth, { type: 'static_bearer', mcp_server_url: 'https://mcp.example.com/mcp' });
  const upd = await sdk.beta.vaults.credentials.update(cred.id, { vault_id: vault.id, auth: { type: 'static_bearer', token: 'BEARER_SECRET_2' } });
  assert.equal(upd.id, cred.id);
  const list = [];
  for await (const c of sdk.beta.vaults.credentials.list(vault.id)) list.push(c.id);
  assert.deepEqual(list, [cred.id]);
  const agent = await seedAgent('vaulted');
  const env = await seedEnv();
  const s = await sdk.beta.sessions.create({ agent: agent.id, environment_id: env.id, vault_ids: [vault.id] });
  assert.deepEqual(s.vault_ids, [vault.id]);
  assert.equal((await sdk.beta.vaults.credentials.delete(cred.id, { vault_id: vault.id })).type, 'vault_credential_deleted');
  assert.equal((await sdk.beta.vaults.delete(vault.id)).type, 'vault_deleted');
  for (const b of bodies) assert.ok(!b.includes('BEARER_SECRET'), 'credential leaked: ' + b);
});
