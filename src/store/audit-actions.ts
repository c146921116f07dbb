/**
 * Every action the stores write to the audit log, for whoever filters by action (the portal's
 * audit filter asks the server for this list rather than keeping a copy that falls behind).
 */
export const AUDIT_ACTIONS = [
  'consumer.create',
  'consumer.update',
  'consumer.disable',
  'consumer.enable',
  'consumer.delete',
  'key.create',
  'key.enroll',
  'key.rotate',
  'key.revoke',
  'enrollment_code.create',
  'enrollment_code.cancel',
  'master_key.add',
  'master_key.reencrypt',
  'key_directory.set',
  'key_directory.clear',
  'key_directory.change',
] as const;
