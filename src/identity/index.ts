/** The identity folder's public surface for the applications. */
export { IdentityModule } from './identity.module.js';
export { UsersService } from './users.service.js';
export { SecurityEventsService, type SecurityEventInput } from './security-events.service.js';
export { TelegramLinkService } from './telegram-link.service.js';
export { Permission, DEFAULT_PERMISSIONS } from './permissions.js';
export { type AuthenticatedSession, Client, CurrentSession } from './http/authenticated.js';
export { TelegramLinkDto } from './http/dto.js';
export { userView } from './http/views.js';
export { AuthenticationGuard, PermissionsGuard } from './http/guards.js';
