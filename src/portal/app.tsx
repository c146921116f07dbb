import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Ed25519KeyPair } from '../client/keys.js';
import { ApiError, PortalApi, type DeadKeyListener } from './api.js';
import { DownloadPanel } from './download.js';
import { forgetIdentity, loadIdentity, saveIdentity } from './key-store.js';
import { go, useHashRoute } from './route.js';
import { isAdmin, type Identity, type PendingDownload, type ViewProps, type WhoAmI } from './session.js';
import type { PortalSettings } from './settings.js';
import { Notice } from './ui.js';
import { AdminAuditView } from './views/admin-audit.js';
import { AdminConsumersView } from './views/admin-consumers.js';
import { AdminUsageView } from './views/admin-usage.js';
import { KeysView } from './views/keys.js';
import { SnippetsView } from './views/snippets.js';
import { StartView } from './views/start.js';
import { UsageView } from './views/usage.js';

interface Section {
  path: string;
  title: string;
  admin: boolean;
  view: (props: ViewProps) => preact.JSX.Element;
}

const SECTIONS: Section[] = [
  { path: '/keys', title: 'Keys', admin: false, view: KeysView },
  { path: '/usage', title: 'Usage', admin: false, view: UsageView },
  { path: '/snippets', title: 'Code snippets', admin: false, view: SnippetsView },
  { path: '/admin/consumers', title: 'Consumers', admin: true, view: AdminConsumersView },
  { path: '/admin/usage', title: 'All usage', admin: true, view: AdminUsageView },
  { path: '/admin/audit', title: 'Audit log', admin: true, view: AdminAuditView },
];

async function storeIfKept(identity: Identity): Promise<void> {
  if (!identity.stored) return;
  await saveIdentity({
    kid: identity.kid,
    consumerId: identity.consumerId,
    consumerName: identity.consumerName,
    scopes: identity.scopes,
    label: identity.label,
    privateKey: identity.key.privateKey,
    publicKey: identity.key.publicKey,
    origin: location.origin,
    savedAt: new Date().toISOString(),
  });
}

export function App({ settings }: { settings: PortalSettings }) {
  // The listener is made once with the API; it reaches the current sign-out through this ref.
  const onDeadKey = useRef<DeadKeyListener>(() => undefined);
  const base = useMemo(() => new PortalApi(settings, undefined, undefined, (kid, error) => onDeadKey.current(kid, error)), [settings]);
  const [identity, setIdentity] = useState<Identity | undefined>(undefined);
  const [api, setApi] = useState<PortalApi>(base);
  const [booting, setBooting] = useState(true);
  /** A notice, shown on the tab it was given for when `onlyOn` is set (a success belongs to where it happened). */
  const [notice, setNotice] = useState<{ kind: 'info' | 'ok' | 'warn' | 'error'; text: string; onlyOn?: string } | undefined>(undefined);
  const [download, setDownload] = useState<PendingDownload | undefined>(undefined);
  const route = useHashRoute();

  /**
   * Signs as `next`. A key that cannot be kept (IndexedDB unavailable, as in some private windows)
   * still signs for this tab: it is registered already, and its download is on offer.
   */
  async function signIn(next: Identity): Promise<boolean> {
    let kept = next;
    try {
      await storeIfKept(next);
    } catch (error) {
      kept = { ...next, stored: false };
      setNotice({ kind: 'warn', text: `This browser could not keep the key (${(error as Error).message}); it signs for this tab only. Save the private key file to use it again.` });
    }
    setApi((current) => current.withKey({ kid: kept.kid, privateKey: kept.key.privateKey }));
    setIdentity(kept);
    return kept.stored === next.stored;
  }

  async function signOut(message?: string): Promise<void> {
    if (identity?.stored === true) await forgetIdentity();
    setIdentity(undefined);
    setApi((current) => current.withKey(undefined));
    setDownload(undefined);
    setNotice(message === undefined ? undefined : { kind: 'warn', text: message });
    go('/');
  }

  /**
   * The key this page signs with was revoked, expired or removed while the page was open: leave as
   * a reload would, with the reason, rather than leave a signed-in page whose every call fails. A
   * refusal of a key the page no longer signs with (the old key of a rotation) changes nothing.
   */
  onDeadKey.current = (kid, error) => {
    if (identity === undefined || kid !== identity.kid) return;
    void signOut(
      `The key this browser signed with (${kid}) no longer works: ${error.detail} (${error.code}). ${identity.stored ? 'This browser has forgotten it. ' : ''}Sign in with another key file, or enroll with a new code from your API provider.`,
    );
  };

  // A key kept from an earlier visit: check it still works and refresh what the server says about it.
  useEffect(() => {
    void (async () => {
      const stored = await loadIdentity(location.origin).catch(() => undefined);
      if (stored === undefined) return;
      const candidate = base.withKey({ kid: stored.kid, privateKey: stored.privateKey });
      try {
        const me = await candidate.call<WhoAmI>('GET', '/v1/whoami');
        setApi(candidate);
        setIdentity({
          kid: stored.kid,
          consumerId: me.consumer_id,
          consumerName: me.consumer_name,
          scopes: me.scopes,
          label: stored.label,
          key: { privateKey: stored.privateKey, publicKey: stored.publicKey },
          stored: true,
        });
      } catch (error) {
        const reason = error instanceof ApiError ? `${error.detail} (${error.code})` : String(error);
        if (error instanceof ApiError && error.status === 401) {
          await forgetIdentity();
          setNotice({ kind: 'warn', text: `The key this browser kept (${stored.kid}) no longer works and has been forgotten: ${reason}` });
          return;
        }
        // Not a verdict on the key (server unreachable, rate limited, consumer disabled): keep it and say so.
        setApi(candidate);
        setIdentity({
          kid: stored.kid,
          consumerId: stored.consumerId,
          consumerName: stored.consumerName,
          scopes: stored.scopes,
          label: stored.label,
          key: { privateKey: stored.privateKey, publicKey: stored.publicKey },
          stored: true,
        });
        setNotice({ kind: 'error', text: `Could not check the key this browser keeps: ${reason}` });
      }
    })().finally(() => setBooting(false));
  }, [base]);

  const sections = SECTIONS.filter((s) => !s.admin || (identity !== undefined && isAdmin(identity)));
  const current = identity === undefined ? undefined : (sections.find((s) => s.path === route.path) ?? sections[0]);
  useEffect(() => {
    document.title = current === undefined ? 'Signet developer portal' : `${current.title} · Signet developer portal`;
  }, [current]);

  const props: ViewProps | undefined =
    identity === undefined
      ? undefined
      : {
          api,
          identity,
          settings,
          offerDownload: setDownload,
          async replaceOwnKey(kid: string, key: Ed25519KeyPair) {
            // A notice naming the old key ("signs with key_...") would now contradict the header.
            setNotice((shown) => (shown?.kind === 'ok' ? undefined : shown));
            await signIn({ ...identity, kid, key });
          },
          lostOwnKey: (message: string) => signOut(message),
        };

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <div class="brand">
          <span class="logo" aria-hidden="true">
            ◆
          </span>{' '}
          Signet <span class="muted">developer portal</span>
        </div>
        {identity !== undefined && (
          <div class="whoami" data-testid="whoami">
            <span>
              <strong>{identity.consumerName}</strong> · <code>{identity.kid}</code>
              {isAdmin(identity) && <span class="badge badge-admin">admin</span>}
            </span>
            <button type="button" class="secondary small" onClick={() => signOut()}>
              {identity.stored ? 'Forget this key' : 'Sign out'}
            </button>
          </div>
        )}
      </header>
      {identity !== undefined && (
        <nav class="tabs" aria-label="Portal sections">
          {sections.map((s) => (
            <a key={s.path} href={`#${s.path}`} aria-current={s === current ? 'page' : undefined} class={s.admin ? 'admin-tab' : undefined}>
              {s.title}
            </a>
          ))}
        </nav>
      )}
      <main id="main" tabIndex={-1}>
        {notice !== undefined && (notice.onlyOn === undefined || notice.onlyOn === route.path) && (
          <Notice kind={notice.kind} onClose={() => setNotice(undefined)}>
            {notice.text}
          </Notice>
        )}
        {download !== undefined && <DownloadPanel download={download} onClose={() => setDownload(undefined)} />}
        {booting ? (
          <p class="muted" aria-busy="true">
            Loading…
          </p>
        ) : identity === undefined || props === undefined || current === undefined ? (
          <StartView
            api={api}
            route={route}
            onEnrolled={async (next, pending) => {
              // The download first: the key is registered now, and this is its only chance.
              setDownload(pending);
              if (await signIn(next)) setNotice({ kind: 'ok', text: `Enrolled as ${next.consumerName}: this browser now signs with ${next.kid}.`, onlyOn: '/keys' });
              go('/keys');
            }}
            onSignedIn={async (next) => {
              setNotice(undefined);
              await signIn(next);
              go(isAdmin(next) ? '/admin/consumers' : '/keys');
            }}
          />
        ) : (
          <current.view key={`${current.path}:${identity.kid}`} {...props} />
        )}
      </main>
      <footer class="footer muted">Keys are made and kept in this browser; only public keys and signed requests leave it. No cookies, no passwords.</footer>
    </>
  );
}
