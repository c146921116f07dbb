import type { Command } from '../command.js';
import { adminAuditCommand } from './admin-audit.js';
import {
  adminConsumersAddCommand,
  adminConsumersDisableCommand,
  adminConsumersEnableCommand,
  adminConsumersListCommand,
  adminConsumersRmCommand,
  adminConsumersShowCommand,
  adminConsumersUpdateCommand,
} from './admin-consumers.js';
import { adminInitCommand } from './admin-init.js';
import { adminConsumersClearDirectoryCommand, adminConsumersSetDirectoryCommand } from './admin-key-directory.js';
import { adminEnrollCodeCommand, adminEnrollCodesCancelCommand, adminEnrollCodesListCommand } from './admin-enrollment.js';
import { adminKeysListCommand, adminKeysRevokeCommand } from './admin-keys.js';
import { enrollCommand } from './enroll.js';
import { keysAddCommand, keysListCommand, keysRevokeCommand, keysRotateCommand } from './keys.js';

/** The consumer and key lifecycle commands (docs/api.md), in the order `signet --help` lists them. */
export const LIFECYCLE_COMMANDS: readonly Command[] = [
  adminInitCommand,
  adminConsumersAddCommand,
  adminConsumersListCommand,
  adminConsumersShowCommand,
  adminConsumersUpdateCommand,
  adminConsumersDisableCommand,
  adminConsumersEnableCommand,
  adminConsumersRmCommand,
  adminConsumersSetDirectoryCommand,
  adminConsumersClearDirectoryCommand,
  adminEnrollCodeCommand,
  adminEnrollCodesListCommand,
  adminEnrollCodesCancelCommand,
  adminKeysListCommand,
  adminKeysRevokeCommand,
  adminAuditCommand,
  enrollCommand,
  keysListCommand,
  keysAddCommand,
  keysRotateCommand,
  keysRevokeCommand,
];
