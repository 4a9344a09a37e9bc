/** The identity folder's door: the module, its services, and what routes declare. */
export { IdentityModule } from './identity.module.js';
export type {
  IdentityModuleAsyncOptions,
  IdentityModuleExtras,
  IdentityModuleRootOptions,
} from './identity.module-definition.js';
export type {
  IdentityContextOptions,
  IdentityModuleOptions,
  LoginThrottleOptions,
} from './identity.options.js';
export { IdentityOptionsError, identityOptionsProblems } from './identity.options.js';
export type { AuthRoutesOptions } from './http/auth.controller.js';
export { AuthService, type LoggedIn } from './auth.service.js';
export { MailSender, MAX_MAIL_ATTEMPTS } from './mail/mail-sender.js';
export { PasswordReset, RESET_TOKEN_MINUTES } from './password-reset.service.js';
export { EmailVerification, VERIFICATION_TOKEN_HOURS } from './email-verification.service.js';
export { type AlertKind, alertKindOf, SecurityAlerts } from './security-alerts.service.js';
export { type Envelope, type MailOptions } from './mail/mail-transport.js';
export { type MailStatus, OutgoingMail } from './mail/outgoing-mail.entity.js';
export { type MailSummary, type MailToSend, OutgoingMails } from './mail/outgoing-mails.js';
export {
  type AlertChannels,
  type Profile,
  type ProfileChange,
  ProfilesService,
} from './profiles.service.js';
export {
  type AccountChanges,
  type AfterUserChange,
  type Grant,
  type GrantTerms,
  type Invariant,
  normalizeEmail,
  type UserSearch,
  UsersService,
} from './users.service.js';
export {
  type RecordedSecurityEvent,
  SecurityEventsService,
  type SecurityEventInput,
} from './security-events.service.js';
export {
  type FoundCode,
  LIVE_CODES_PER_USER,
  LinkCodesService,
  type RedeemedCode,
} from './link-codes.service.js';
export { PasswordHasher } from './password-hasher.js';
export { IDENTITY_ENTITIES, SecurityEvent, User } from './entities/index.js';
export {
  type AuthenticatedSession,
  Client,
  clientInfoOf,
  CurrentSession,
  CurrentSessionIfAny,
} from './http/authenticated.js';
export type { IdentityRequest } from './http/identity-request.js';
export {
  AuthenticationGuard,
  PermissionsGuard,
  RouteRules,
  UNDECLARED_ROUTES,
  type UndeclaredRoutes,
} from './http/guards.js';
export { UseIdentityGuards } from './http/use-identity-guards.js';
export {
  ORIGIN_GUARD_OPTIONS,
  OriginGuard,
  type OriginGuardOptions,
} from '../common/http/origin.guard.js';
export { type UserView, userView, sessionSummaryView } from './http/views.js';
export {
  AllowAnonymous,
  ContextController,
  OptionalSession,
  PUBLIC,
  PublicController,
  RequirePermissions,
} from '../common/http/route-context.js';
export { IDENTITY_STORE } from './identity-store.js';
