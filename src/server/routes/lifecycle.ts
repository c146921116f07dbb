import type Router from '@koa/router';
import type { ServerContext } from '../context.js';
import type { SignetState } from '../state.js';
import { adminAuditRoutes } from './admin-audit.js';
import { adminConsumerRoutes } from './admin-consumers.js';
import { adminEnrollmentRoutes } from './admin-enrollment.js';
import { keyDirectoryRoutes } from './key-directory.js';
import { adminKeyRoutes } from './admin-keys.js';
import { enrollRoutes } from './enroll.js';
import { hmacKeyRoutes } from './hmac-keys.js';
import { openApiRoutes } from './openapi.js';
import { selfKeyRoutes } from './self-keys.js';

/** The consumer and key lifecycle: admin API, self-service keys, enrollment, HMAC keys, and the OpenAPI document. */
export function lifecycleRoutes(server: ServerContext): Router<SignetState>[] {
  return [
    adminConsumerRoutes(server),
    adminKeyRoutes(server),
    ...keyDirectoryRoutes(server),
    adminEnrollmentRoutes(server),
    adminAuditRoutes(server),
    selfKeyRoutes(server),
    enrollRoutes(server),
    openApiRoutes(server),
    ...hmacKeyRoutes(server),
  ];
}
