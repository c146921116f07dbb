import { useEffect, useState } from 'preact/hooks';
import type { ViewProps } from '../session.js';
import { useLoad } from '../ui.js';
import type { KeyView } from './keys.js';

/** Routes the portal itself calls: a call to any other is a program's, not the page's. */
const PORTAL_ROUTE = /^\/(v1\/(whoami|keys|usage)|admin\/)/;

/** Where this browser remembers that the Usage tab was opened after a first call, per consumer. */
const usageSeenKey = (consumerId: string) => `signet-portal:usage-seen:${consumerId}`;

/** The Usage tab was opened: remembered (in localStorage, not a secret) for the checklist. */
export function markUsageSeen(consumerId: string): void {
  try {
    localStorage.setItem(usageSeenKey(consumerId), new Date().toISOString());
  } catch {
    // No storage (a private window): the checklist just keeps that step open.
  }
}

function usageSeenAt(consumerId: string): string | null {
  try {
    return localStorage.getItem(usageSeenKey(consumerId));
  } catch {
    return null;
  }
}

/**
 * A first call made by a program: a key other than this browser's was used, or a route the page
 * never calls shows in the last 30 days of usage (the snippets call /v1/echo).
 */
function madeFirstCall(keys: KeyView[], ownKid: string, routes: string[]): boolean {
  return keys.some((k) => k.id !== ownKid && k.last_used_at !== null) || routes.some((route) => !PORTAL_ROUTE.test(route));
}

/** A new developer's three steps, each ticked from what the server says (keys, usage), hidden once all are done. */
export function OnboardingChecklist({ api, identity, keys }: Pick<ViewProps, 'api' | 'identity'> & { keys: KeyView[] | undefined }) {
  const usage = useLoad(() => api.call<{ groups?: Array<{ route: string }> }>('GET', '/v1/usage', { query: { granularity: 'day', group_by: 'route' } }), [api]);
  const [seen, setSeen] = useState(() => usageSeenAt(identity.consumerId));
  useEffect(() => setSeen(usageSeenAt(identity.consumerId)), [identity.consumerId]);
  if (keys === undefined || usage.data === undefined) return null;
  const keyMade = keys.some((k) => k.status === 'active');
  const called = madeFirstCall(
    keys,
    identity.kid,
    (usage.data.groups ?? []).map((g) => g.route),
  );
  const usageSeen = called && seen !== null;
  if (keyMade && called && usageSeen) return null;
  const steps: Array<[boolean, preact.ComponentChildren]> = [
    [
      keyMade,
      <>
        Make a key and save its private key file (done when you enrolled; <em>Add a key</em> for another machine).
      </>,
    ],
    [
      called,
      <>
        Make a first signed call from your own code: start from the <a href="#/snippets">examples ready to run</a>.
      </>,
    ],
    [
      usageSeen,
      <>
        See that call in the <a href="#/usage">chart of your requests</a>.
      </>,
    ],
  ];
  return (
    <section class="card" aria-labelledby="onboarding-heading" data-testid="onboarding">
      <h2 id="onboarding-heading">Getting started</h2>
      <ol class="checklist">
        {steps.map(([done, text], i) => (
          <li key={i} data-done={done ? 'true' : 'false'}>
            <span aria-hidden="true">{done ? '✓' : '○'}</span> <span class="visually-hidden">{done ? 'Done: ' : 'To do: '}</span>
            {text}
          </li>
        ))}
      </ol>
    </section>
  );
}
