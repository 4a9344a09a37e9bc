import type { Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Database } from '../../common/app-context.js';
import { Outbox } from '../../database/outbox.js';

/**
 * The outbox of the web database: changes made through the web application's services
 * record their messages for other databases here (an audit message of a rate set by staff),
 * and those applications' relays deliver them.
 */
export class WebOutbox extends Outbox {}

export const WEB_OUTBOX_PROVIDER: Provider = {
  provide: WebOutbox,
  inject: [getDataSourceToken(Database.Web)],
  useFactory: (dataSource: DataSource) => new WebOutbox(dataSource),
};
