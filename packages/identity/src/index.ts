/**
 * @exchanger/identity: users, permissions and login throttling (IdentityModule), cache-aside
 * sessions (SessionModule), the guards and decorators routes declare, and the Redis
 * connection and namespaced stores they keep their state in.
 */
export * from './identity/index.js';
export * from './session/index.js';
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
export { streamRows } from './database/row-stream.js';
