import { CacheInvalidation } from './cache-invalidation.entity.js';
import { SecurityEvent } from './security-event.entity.js';
import { Session } from './session.entity.js';
import { TelegramLinkCode } from './telegram-link-code.entity.js';
import { UserPermission } from './user-permission.entity.js';
import { UserProfile } from './user-profile.entity.js';
import { User } from './user.entity.js';

export {
  CacheInvalidation,
  SecurityEvent,
  Session,
  TelegramLinkCode,
  User,
  UserPermission,
  UserProfile,
};
export { UserRole } from './user.entity.js';

export const IDENTITY_ENTITIES = [
  User,
  Session,
  UserPermission,
  UserProfile,
  SecurityEvent,
  CacheInvalidation,
  TelegramLinkCode,
];
