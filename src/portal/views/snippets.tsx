import { useState } from 'preact/hooks';
import { keyFileName } from '../new-key.js';
import type { ViewProps } from '../session.js';
import { curlSnippet, goSnippet, nodeSnippet, profileName, pythonSnippet } from '../snippets.js';
import { CopyBlock, useLoad } from '../ui.js';
import type { KeyView } from './keys.js';

/** Ready-to-copy code for curl (with signet sign), Node, Python and Go, filled in for one of your keys. */
export function SnippetsView({ api, identity, settings }: ViewProps) {
  const keys = useLoad(() => api.call<{ items: KeyView[] }>('GET', '/v1/keys'), [api]);
  const [kid, setKid] = useState(identity.kid);
  const usable = (keys.data?.items ?? []).filter((k) => k.type === 'ed25519' && (k.status === 'active' || k.status === 'not_yet_valid'));
  const input = { origin: settings.publicOrigin, audience: settings.audience, kid, profile: profileName(identity.consumerName) };
  return (
    <div class="stack">
      <section class="card" aria-labelledby="snippets-heading">
        <h1 id="snippets-heading">Code snippets</h1>
        <p>
          Each snippet signs with the private key file you downloaded (<code>{keyFileName(kid)}</code>) and calls <code>{settings.publicOrigin}</code>. Tokens are bound to the exact method, URL and
          body and work once, so each request is signed just before it is sent.
        </p>
        {usable.length > 1 && (
          <label class="inline-label">
            Key{' '}
            <select value={kid} onChange={(e) => setKid(e.currentTarget.value)}>
              {usable.map((k) => (
                <option key={k.id} value={k.id}>
                  {k.id}
                  {k.label !== null ? ` (${k.label})` : ''}
                </option>
              ))}
            </select>
          </label>
        )}
      </section>
      <section class="card" aria-labelledby="curl-heading">
        <h2 id="curl-heading">curl with signet sign</h2>
        <CopyBlock label="curl snippet" text={curlSnippet(input)} />
      </section>
      <section class="card" aria-labelledby="node-heading">
        <h2 id="node-heading">Node.js</h2>
        <CopyBlock label="Node.js snippet" text={nodeSnippet(input)} />
      </section>
      <section class="card" aria-labelledby="python-heading">
        <h2 id="python-heading">Python</h2>
        <CopyBlock label="Python snippet" text={pythonSnippet(input)} />
      </section>
      <section class="card" aria-labelledby="go-heading">
        <h2 id="go-heading">Go</h2>
        <CopyBlock label="Go snippet" text={goSnippet(input)} />
      </section>
    </div>
  );
}
