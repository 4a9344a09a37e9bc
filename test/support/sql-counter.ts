import { jest } from '@jest/globals';
import pg from 'pg';

/**
 * The SQL statements sent to PostgreSQL, in this process, while `work` runs: every query
 * of every DataSource and pool goes through a pg Client's `query` (text, or a prepared
 * statement's config).
 */
export async function sqlDuring(work: () => Promise<unknown>): Promise<string[]> {
  const spy = jest.spyOn(pg.Client.prototype, 'query');
  try {
    await work();
    return spy.mock.calls.map((call) => {
      const query = call[0] as unknown;
      const text = typeof query === 'string' ? query : (query as { text?: string }).text;
      return String(text).replace(/\s+/g, ' ').trim();
    });
  } finally {
    spy.mockRestore();
  }
}
