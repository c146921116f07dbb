/** Scopes that Signet's own routes require (docs/api.md). A key may carry others for the host app. */

/** The admin API (/admin/v1) and the usage reports. */
export const ADMIN_SCOPE = 'admin';

/** Self-service key management (/v1/keys): what enrolled keys get by default. */
export const SELF_SERVICE_SCOPE = 'keys';

/** What `signet admin init` gives the first admin key. */
export const FIRST_ADMIN_SCOPES: readonly string[] = Object.freeze([ADMIN_SCOPE, SELF_SERVICE_SCOPE]);
