import type { Command } from '../command.js';
import { adminConsumersModesCommand, adminKeysCreateHmacCommand, adminKeysHmacReportCommand } from './admin-hmac.js';
import { keysAddHmacCommand } from './keys-hmac.js';
import { adminRotateMasterKeyCommand } from './rotate-master-key.js';

/** HMAC compatibility mode commands, for clients that cannot sign with Ed25519 (docs/modes.md). */
export const HMAC_COMMANDS: readonly Command[] = [adminConsumersModesCommand, adminKeysCreateHmacCommand, adminKeysHmacReportCommand, adminRotateMasterKeyCommand, keysAddHmacCommand];
