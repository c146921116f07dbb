import type { Ed25519KeyPair } from '../client/keys.js';
import type { PortalApi } from './api.js';
import type { PortalSettings } from './settings.js';

/** Who the portal signs as: a key that can sign and never be exported, and what the server said about it. */
export interface Identity {
  kid: string;
  consumerId: string;
  consumerName: string;
  scopes: string[];
  label: string | null;
  key: Ed25519KeyPair;
  /** Kept in IndexedDB (enrolled here, or "keep in this browser" ticked); else only in this tab's memory. */
  stored: boolean;
}

/** A private key waiting to be downloaded: the only copy of its PEM, dropped when the panel closes. */
export interface PendingDownload {
  kid: string;
  pem: string;
  /** What made it: shown in the panel's heading. */
  reason: 'enrolled' | 'added' | 'rotated';
}

/** What every signed-in view gets. */
export interface ViewProps {
  api: PortalApi;
  identity: Identity;
  settings: PortalSettings;
  offerDownload: (download: PendingDownload) => void;
  /** The key this browser signs with was rotated: sign with the new one from now on. */
  replaceOwnKey: (kid: string, key: Ed25519KeyPair) => Promise<void>;
  /** This browser's key was revoked: forget it. */
  lostOwnKey: (message: string) => Promise<void>;
}

export interface WhoAmI {
  consumer_id: string;
  consumer_name: string;
  key_id: string;
  mode: string;
  scopes: string[];
  /** The modes the consumer may sign with (ed25519, hmac); absent from servers before it was added. */
  allowed_modes?: string[];
}

export const isAdmin = (identity: Identity) => identity.scopes.includes('admin');
