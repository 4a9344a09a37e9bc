export { SessionModule } from './session.module.js';
export { SessionService } from './session.service.js';
export type {
  AlongWith,
  CreatedSession,
  SessionMetrics,
  SessionRevocation,
} from './session.service.js';
export { SessionPurger } from './session-purger.js';
export { isSessionId } from './session-token.js';
export type {
  ClientInfo,
  Principal,
  SessionState,
  SessionSummary,
  ValidatedSession,
} from './session.types.js';
