import { streamRows } from '@exchanger/identity';
import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { InjectWebDataSource } from '../../database/data-sources/web.js';

export type WebRecordRow = Record<string, unknown>;

/**
 * The web application's records for other applications to export (the admin's reports):
 * read-only streams of rows with bounded memory, one consistent snapshot each, oldest first.
 * Ranges are [from, to) on the creation time.
 */
@Injectable()
export class WebRecords {
  constructor(@InjectWebDataSource() private readonly dataSource: DataSource) {}

  orders(from: Date, to: Date): Readable & AsyncIterable<WebRecordRow> {
    return streamRows(
      this.dataSource,
      `SELECT id, user_id, from_currency, to_currency, amount, exchange_rate, counter_amount,
         status, created_at, updated_at
       FROM orders WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at, id`,
      [from, to],
    );
  }

  /** The ledger (`transactions`). */
  ledger(from: Date, to: Date): Readable & AsyncIterable<WebRecordRow> {
    return streamRows(
      this.dataSource,
      `SELECT id, order_id, payment_id, user_id, entry_type, currency, amount, created_at
       FROM transactions WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at, id`,
      [from, to],
    );
  }
}
