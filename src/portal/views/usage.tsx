import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import type { ViewProps, WhoAmI } from '../session.js';
import { Notice, useLoad } from '../ui.js';
import { markUsageSeen } from './onboarding.js';
import { LimitsTable, UsageCard, type LimitsView, type UsageSeries } from './usage-parts.js';

/** Your requests over time by status class, and where you stand against your rate limits. */
export function UsageView({ api, identity }: ViewProps) {
  const [granularity, setGranularity] = useState('minute');
  const usage = useLoad(() => api.call<UsageSeries & { limits: LimitsView }>('GET', '/v1/usage', { query: { granularity } }), [api, granularity]);
  // For the getting-started checklist: the usage has been shown to this developer.
  useEffect(() => {
    if (usage.data !== undefined) markUsageSeen(identity.consumerId);
  }, [usage.data, identity.consumerId]);
  const [tried, setTried] = useState<{ ok: boolean; text: string } | undefined>(undefined);

  async function tryRequest() {
    try {
      const me = await api.call<WhoAmI>('GET', '/v1/whoami');
      setTried({ ok: true, text: `200 OK: signed as ${me.key_id} of ${me.consumer_name}.` });
    } catch (error) {
      setTried({ ok: false, text: error instanceof ApiError ? `${error.status} ${error.code}: ${error.detail}` : String(error) });
    }
    usage.reload();
  }

  return (
    <div class="stack">
      <UsageCard headingId="usage-heading" heading="Usage" granularity={granularity} onGranularity={setGranularity} usage={usage} />
      <section class="card" aria-labelledby="try-heading">
        <h2 id="try-heading">Try a signed request</h2>
        <p class="muted">
          Sends <code>GET /v1/whoami</code>, signed in this browser with your key. It shows up in the chart above.
        </p>
        <button type="button" onClick={tryRequest} data-testid="try-request">
          Send signed request
        </button>
        {tried !== undefined && (
          <Notice kind={tried.ok ? 'ok' : 'error'}>
            <span data-testid="try-result">{tried.text}</span>
          </Notice>
        )}
      </section>
      <section class="card" aria-labelledby="limits-heading">
        <h2 id="limits-heading">Rate limits</h2>
        {usage.data !== undefined && <LimitsTable limits={usage.data.limits} />}
      </section>
    </div>
  );
}
