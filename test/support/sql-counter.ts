import { jest } from '@jest/globals';
import pg from 'pg';

/**
 * Statements of the process's background work, not of any request: the job queue's polling,
 * outbox relays, the settings refresh, the metrics recorder, the drain of cache
 * invalidations. They are left out, and so are the transaction brackets (BEGIN, COMMIT,
 * ROLLBACK) of a connection that ran one of them in the window.
 */
const BACKGROUND = [
  /pgboss\./,
  /\b(FROM|UPDATE|INTO) outbox\b/,
  /\badmin_settings\b/,
  /\bsystem_metrics\b/,
  /\bcache_invalidations\b/,
];

/**
 * The SQL statements sent to PostgreSQL, in this process, while `work` runs: every query
 * of every DataSource and pool goes through a pg Client's `query` (text, or a prepared
 * statement's config). Background work is left out (see BACKGROUND).
 */
export async function sqlDuring(work: () => Promise<unknown>): Promise<string[]> {
  const spy = jest.spyOn(pg.Client.prototype, 'query');
  try {
    await work();
    const calls = spy.mock.calls.map((call, index) => {
      const query = call[0] as unknown;
      const text = typeof query === 'string' ? query : (query as { text?: string }).text;
      return { client: spy.mock.contexts[index], text: String(text).replace(/\s+/g, ' ').trim() };
    });
    const background = new Set(
      calls
        .filter((call) => BACKGROUND.some((pattern) => pattern.test(call.text)))
        .map((call) => call.client),
    );
    const bracket = /^(BEGIN|START TRANSACTION|COMMIT|ROLLBACK)\b/i;
    return calls
      .filter(
        (call) =>
          !BACKGROUND.some((pattern) => pattern.test(call.text)) &&
          !(background.has(call.client) && bracket.test(call.text)),
      )
      .map((call) => call.text);
  } finally {
    spy.mockRestore();
  }
}
