import { OutgoingMail } from '../mail/outgoing-mail.entity.js';
import { AccountToken } from './account-token.entity.js';
import { LinkCode } from './link-code.entity.js';
import { SecurityEvent } from './security-event.entity.js';
import { UserPermission } from './user-permission.entity.js';
import { UserProfile } from './user-profile.entity.js';
import { User } from './user.entity.js';

export { AccountToken, LinkCode, SecurityEvent, User, UserPermission, UserProfile };
export type { TokenPurpose } from './account-token.entity.js';

export const IDENTITY_ENTITIES = [
  User,
  UserPermission,
  UserProfile,
  SecurityEvent,
  LinkCode,
  OutgoingMail,
  AccountToken,
];
