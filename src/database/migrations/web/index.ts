import { CreateWebSchema1795319166978 } from './1795319166978-CreateWebSchema.js';
import { AddOrderAmountsAndIdempotency1795323365767 } from './1795323365767-AddOrderAmountsAndIdempotency.js';
import { AddOutbox1795790869313 } from './1795790869313-AddOutbox.js';
import { GrantStaffAccess1795792200000 } from './1795792200000-GrantStaffAccess.js';
import { AddOutboxMessageId1795800000001 } from './1795800000001-AddOutboxMessageId.js';
import { AddPaymentProviderReference1796204150000 } from './1796204150000-AddPaymentProviderReference.js';
import { AddWebSettings1796600000000 } from './1796600000000-AddWebSettings.js';

/** Migrations of the web database, oldest first. A new migration is added here. */
export const WEB_MIGRATIONS: Function[] = [
  CreateWebSchema1795319166978,
  AddOrderAmountsAndIdempotency1795323365767,
  AddOutbox1795790869313,
  GrantStaffAccess1795792200000,
  AddOutboxMessageId1795800000001,
  AddPaymentProviderReference1796204150000,
  AddWebSettings1796600000000,
];
