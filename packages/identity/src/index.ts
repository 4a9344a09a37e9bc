/**
 * @exchanger/identity: users, permissions and login throttling, cache-aside sessions
 * (IdentityModule, its one module: the session store comes with it, since sessions belong to
 * its users), the guards and decorators routes declare, and the Redis connection and
 * namespaced stores they keep their state in.
 */
export * from './identity/index.js';
export {
  type AlongWith,
  type ClientInfo,
  type CreatedSession,
  isSessionId,
  type NewSession,
  type Principal,
  SESSION_ENTITIES,
  SESSION_STORE,
  type SessionLifetime,
  type SessionMetrics,
  SessionPurger,
  type SessionRevocation,
  SessionService,
  type SessionState,
  type SessionSummary,
  sessionIdOf,
  type ValidatedSession,
} from './session/index.js';
export * from './redis/index.js';
export * from './background/index.js';
export {
  ANONYMOUS_ALLOWED,
  REQUIRED_PERMISSIONS,
  ROUTE_CONTEXT,
  SESSION_OPTIONAL,
} from './common/http/route-context.js';
export { PageLimit } from './common/http/page-limit.js';
export { clientRequestIdOf, newRequestId, REQUEST_ID_HEADER } from './common/http/request-id.js';
export { TooManyRequestsException } from './common/http/too-many-requests.js';
export { createValidationPipe } from './common/http/validation.js';
export { lockUntilCommit, withAdvisoryLock } from './database/advisory-lock.js';
export {
  checkIdentityMigrations,
  IDENTITY_MIGRATIONS_TABLE,
  type IdentityMigrationOptions,
  runIdentityMigrations,
} from './database/identity-migrations.js';
export { IDENTITY_MIGRATIONS } from './database/migrations/identity/index.js';
export { streamRows } from './database/row-stream.js';
