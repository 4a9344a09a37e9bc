import { CreateIdentitySchema1795319160161 } from './1795319160161-CreateIdentitySchema.js';
import { AddTelegramLinkCodes1795320461338 } from './1795320461338-AddTelegramLinkCodes.js';
import { IndexSessionsByUser1795331792601 } from './1795331792601-IndexSessionsByUser.js';
import { GeneralizeLinkCodes1795788820050 } from './1795788820050-GeneralizeLinkCodes.js';
import { AddUserDisabledAt1795792035523 } from './1795792035523-AddUserDisabledAt.js';
import { IndexLinkCodesByUser1796420150000 } from './1796420150000-IndexLinkCodesByUser.js';
import { AddMailAndAccountTokens1796500000000 } from './1796500000000-AddMailAndAccountTokens.js';
import { IndexAdminSearch1796500000001 } from './1796500000001-IndexAdminSearch.js';
import { HostRoles1796700000000 } from './1796700000000-HostRoles.js';

/**
 * Migrations of the identity database (identity's tables and the session store's), oldest
 * first. A new migration is added here.
 */
export const IDENTITY_MIGRATIONS: Function[] = [
  CreateIdentitySchema1795319160161,
  AddTelegramLinkCodes1795320461338,
  IndexSessionsByUser1795331792601,
  GeneralizeLinkCodes1795788820050,
  AddUserDisabledAt1795792035523,
  IndexLinkCodesByUser1796420150000,
  AddMailAndAccountTokens1796500000000,
  IndexAdminSearch1796500000001,
  HostRoles1796700000000,
];
