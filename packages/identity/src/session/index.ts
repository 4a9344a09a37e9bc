/** The session folder's door: the module, its service, and the types they speak. */
export { SESSION_ENTITIES } from './entities/index.js';
export type { PrincipalSource } from './principal-source.js';
export { SessionModule, type SessionModuleAsyncOptions } from './session.module.js';
export { SESSION_STORE, type SessionModuleOptions } from './session.options.js';
export { SessionPurger } from './session-purger.js';
export { isSessionId, sessionIdOf } from './session-token.js';
export type {
  AlongWith,
  CreatedSession,
  NewSession,
  SessionMetrics,
  SessionRevocation,
} from './session.service.js';
export { SessionService } from './session.service.js';
export type {
  ClientInfo,
  Principal,
  SessionLifetime,
  SessionState,
  SessionSummary,
  ValidatedSession,
} from './session.types.js';
