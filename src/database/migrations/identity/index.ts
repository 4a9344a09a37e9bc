import { AddOutbox1795790867893 } from './1795790867893-AddOutbox.js';
import { AddOutboxMessageId1795800000000 } from './1795800000000-AddOutboxMessageId.js';

/**
 * This product's own migrations of the identity database, beside the identity package's
 * (which it records in a table of its own): the outbox of staff actions. Oldest first.
 */
export const IDENTITY_PRODUCT_MIGRATIONS: Function[] = [
  AddOutbox1795790867893,
  AddOutboxMessageId1795800000000,
];
