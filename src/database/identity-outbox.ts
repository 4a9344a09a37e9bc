import type { Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Database } from '../common/app-context.js';
import { Outbox } from './outbox.js';

/**
 * The outbox of the identity database: a staff action on users or sessions records its audit
 * message here, in the transaction of the change, for the admin application's relay.
 */
export class IdentityOutbox extends Outbox {}

export const IDENTITY_OUTBOX_PROVIDER: Provider = {
  provide: IdentityOutbox,
  inject: [getDataSourceToken(Database.Identity)],
  useFactory: (dataSource: DataSource) => new IdentityOutbox(dataSource),
};
