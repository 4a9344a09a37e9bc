import { jest } from '@jest/globals';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner.js';

/**
 * The SQL statements TypeORM sends, in this process, while `work` runs.
 * Every query of every DataSource goes through PostgresQueryRunner.query.
 */
export async function sqlDuring(work: () => Promise<unknown>): Promise<string[]> {
  const spy = jest.spyOn(PostgresQueryRunner.prototype, 'query');
  try {
    await work();
    return spy.mock.calls.map((call) => String(call[0]).replace(/\s+/g, ' ').trim());
  } finally {
    spy.mockRestore();
  }
}
