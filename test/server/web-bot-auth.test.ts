import { KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createSigner, httpbis } from 'http-message-signatures';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, type Ed25519KeyPair } from '../../src/client/keys.js';
import { encodeBase64 } from '../../src/protocol/base64url.js';
import { signatureBase } from '../../src/protocol/http-signatures/signature-base.js';
import { parseHttpSignature } from '../../src/protocol/http-signatures/signature-input.js';
import { newJti } from '../../src/protocol/ids.js';
import { jwkThumbprint, publicKeyToJwk } from '../../src/protocol/public-key.js';
import { signBytes } from '../../src/client/http-signature.js';
import { readAnswer, startHarness, type Harness } from '../helpers/harness.js';

/**
 * Web Bot Auth agents against the real app: the agent's key directory is served from 127.0.0.1
 * (SIGNET_KEY_DIRECTORY_ALLOW_PRIVATE, for tests only) and its origin is allowed by the operator.
 */
describe('Web Bot Auth agents', () => {
  let h: Harness;
  let directory: Server;
  let agentOrigin: string;
  let agent: Ed25519KeyPair;
  let keyid: string;
  let directoryFetches = 0;

  beforeAll(async () => {
    agent = await generateKeyPair();
    keyid = await jwkThumbprint(agent.publicKey);
    directory = createServer((req, res) => {
      directoryFetches++;
      if (req.url !== '/.well-known/http-message-signatures-directory') {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/http-message-signatures-directory+json', 'cache-control': 'max-age=600' });
      res.end(JSON.stringify({ keys: [publicKeyToJwk(agent.publicKey)] }));
    });
    await new Promise<void>((resolve) => directory.listen(0, '127.0.0.1', resolve));
    agentOrigin = `http://127.0.0.1:${(directory.address() as AddressInfo).port}`;
    h = await startHarness({ webBotAuthAgents: [agentOrigin], webBotAuthScopes: ['agents'], keyDirectoryAllowPrivate: true });
  });
  afterAll(async () => {
    await h?.close();
    directory.closeAllConnections();
    await new Promise((resolve) => directory.close(resolve));
  });

  interface AgentCall {
    method?: string;
    /** Covered component identifiers as Signature-Input spells them. */
    components?: string[];
    nonce?: string | null;
    origin?: string;
    /** The Signature-Agent field; default: the origin as one sf-string. */
    field?: string;
    label?: string;
    key?: Ed25519KeyPair;
  }

  async function agentHeaders(call: AgentCall = {}): Promise<Record<string, string>> {
    const method = call.method ?? 'GET';
    const label = call.label ?? 'sig1';
    const created = Math.floor(h.clock.now() / 1000);
    const components = call.components ?? ['"@authority"', '"signature-agent"'];
    const nonce = call.nonce === undefined ? `;nonce="${newJti()}"` : call.nonce === null ? '' : `;nonce="${call.nonce}"`;
    const inner = `(${components.join(' ')});created=${created};expires=${created + 60};keyid="${keyid}";alg="ed25519"${nonce};tag="web-bot-auth"`;
    const headers: Record<string, string> = { 'signature-agent': call.field ?? `"${call.origin ?? agentOrigin}"` };
    // The base as the signer builds it, for any form of the field (the verifier rebuilds it on its own).
    const covered = parseHttpSignature(`${label}=${inner}`, `${label}=::`);
    const base = signatureBase(covered.components, inner, { method, targetUri: h.origin + '/v1/whoami', header: (name) => headers[name] }, covered.dictionaryKeys);
    const signature = await signBytes({ type: 'ed25519', privateKey: (call.key ?? agent).privateKey }, new TextEncoder().encode(base));
    return { ...headers, 'signature-input': `${label}=${inner}`, signature: `${label}=:${encodeBase64(signature)}:` };
  }

  const whoami = async (headers: Record<string, string>) => readAnswer(await fetch(h.baseUrl + '/v1/whoami', { headers }));

  it('verifies an allowed agent from its directory and gives it the agent scopes only', async () => {
    const answer = await readAnswer(await fetch(h.baseUrl + '/v1/whoami', { headers: await agentHeaders() }));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({ consumer_id: `agent:${agentOrigin}`, format: 'rfc9421', scopes: ['agents'] });
  });

  it('refuses a method other than GET and HEAD with insufficient_scope', async () => {
    const answer = await readAnswer(await fetch(h.baseUrl + '/v1/echo', { method: 'POST', headers: await agentHeaders({ method: 'POST' }), body: 'x' }));
    expect([answer.status, answer.body.code]).toEqual([403, 'insufficient_scope']);
  });

  it('refuses an agent origin the operator did not allow, and a key not in the directory, alike', async () => {
    const other = await readAnswer(await fetch(h.baseUrl + '/v1/whoami', { headers: await agentHeaders({ origin: 'https://other-agent.example' }) }));
    expect([other.status, other.body.code]).toEqual([401, 'invalid_token']);
    const stranger = await readAnswer(await fetch(h.baseUrl + '/v1/whoami', { headers: await agentHeaders({ key: await generateKeyPair() }) }));
    expect([stranger.status, stranger.body.code]).toEqual([401, 'invalid_token']);
  });

  it('spends a nonce once, and accepts a signature without one', async () => {
    const headers = await agentHeaders({ nonce: newJti() });
    expect((await fetch(h.baseUrl + '/v1/whoami', { headers })).status).toBe(200);
    const again = await readAnswer(await fetch(h.baseUrl + '/v1/whoami', { headers }));
    expect(again.body.code).toBe('token_replayed');
    expect((await fetch(h.baseUrl + '/v1/whoami', { headers: await agentHeaders({ nonce: null }) })).status).toBe(200);
  });

  it('explains an agent signature that does not cover signature-agent, in either form of the field', async () => {
    for (const field of [undefined, `agent1="${agentOrigin}"`]) {
      const answer = await whoami(await agentHeaders({ components: ['"@authority"'], ...(field !== undefined ? { field } : {}) }));
      expect(answer.body.code).toBe('binding_mismatch');
      expect(answer.body.missing_components).toEqual(['signature-agent']);
    }
  });

  it('verifies the dictionary form: the member the signature names by its key parameter, whatever the label and the other members', async () => {
    const keyed = { components: ['"@authority"', '"signature-agent";key="agent1"'] };
    for (const call of [
      { ...keyed, field: `agent1="${agentOrigin}"` },
      { ...keyed, field: `other="https://someone-else.example", agent1="${agentOrigin}";type=directory`, label: 'sig2' },
    ]) {
      const answer = await whoami(await agentHeaders(call));
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body).toMatchObject({ consumer_id: `agent:${agentOrigin}`, format: 'rfc9421' });
    }
  });

  it('refuses a dictionary without the named member, a member that is not a string, and a form other than the one covered, alike', async () => {
    const keyed = { components: ['"@authority"', '"signature-agent";key="agent1"'], field: `agent1="${agentOrigin}"` };
    // Signed honestly where a signer could build the base at all; otherwise signed over the valid
    // dictionary and sent with another field (refused before the signature is even checked).
    const refused: Array<[AgentCall, Record<string, string>?]> = [
      [{ ...keyed, field: `agent1=("${agentOrigin}")` }],
      [{ ...keyed, field: `agent1="${agentOrigin}";type=jwks_uri` }],
      [{ field: `agent1="${agentOrigin}"` }],
      [{ ...keyed, field: `agent1="${agentOrigin}", pad="${'x'.repeat(3000)}"` }],
      [keyed, { 'signature-agent': `agent2="${agentOrigin}"` }],
      [keyed, { 'signature-agent': `"${agentOrigin}"` }],
      [keyed, { 'signature-agent': `agent1="${agentOrigin}", agent1="https://other-agent.example"` }],
    ];
    for (const [call, sent] of refused) {
      const answer = await whoami({ ...(await agentHeaders(call)), ...sent });
      expect([answer.status, answer.body.code], JSON.stringify([call, sent]).slice(0, 200)).toEqual([401, 'invalid_token']);
    }
    // Both forms covered at once: refused when the Signature-Input is parsed.
    const both = await agentHeaders(keyed);
    both['signature-input'] = both['signature-input']!.replace('("@authority"', '("@authority" "signature-agent"');
    expect((await whoami(both)).body.code).toBe('invalid_token');
  });

  it('verifies a dictionary-form agent request signed by http-message-signatures', async () => {
    const created = new Date(h.clock.now());
    const signed = await httpbis.signMessage(
      {
        key: createSigner(KeyObject.from(agent.privateKey), 'ed25519', keyid),
        name: 'agent-sig',
        fields: ['@authority', 'signature-agent;key="agent1"'],
        params: ['created', 'expires', 'nonce', 'keyid', 'alg', 'tag'],
        paramValues: { created, expires: new Date(created.getTime() + 60_000), nonce: newJti(), tag: 'web-bot-auth' },
      },
      { method: 'GET', url: h.origin + '/v1/whoami', headers: { 'signature-agent': `agent1="${agentOrigin}"` } },
    );
    expect((signed.headers as Record<string, string>)['Signature-Input']).toContain('"signature-agent";key="agent1"');
    const answer = await whoami(signed.headers as Record<string, string>);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({ consumer_id: `agent:${agentOrigin}`, format: 'rfc9421' });
  });

  it('counts agent requests in usage under the agent, as the rfc9421 format', async () => {
    await h.signet.server.usage.flush();
    const rows = await h
      .db('usage_rollups')
      .where({ granularity: 'day', consumer_id: `agent:${agentOrigin}` })
      .distinct('format')
      .pluck('format');
    expect(rows).toEqual(['rfc9421']);
  });

  it('fetched the directory once for all these requests (cached per its Cache-Control)', () => {
    expect(directoryFetches).toBe(1);
  });
});
