import {
  type Backoff,
  backoffDelayMs,
  errorText,
  purgeBatch,
  type QueueTable,
  retryLater,
  withClaimedRows,
} from '@exchanger/identity';
import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { keptPayload } from '../understand/secret-arguments.js';
import type { ReceivedUpdate } from '../understand/update-shape.js';
import { InjectBotDataSource } from '../../database/data-sources/bot.js';

/** After a failure, the next try of the update waits longer each time. */
const RETRY: Backoff = { firstMs: 1_000, maxMs: 5 * 60_000 };
/** An update that failed this often is given up (marked failed), so it no longer holds its sender's queue. */
export const MAX_ATTEMPTS = 8;
/** Handled updates are kept this long (Telegram retries a delivery for a day at most). */
export const KEEP_HANDLED_MS = 7 * 86_400_000;

/** How handling one update ended. */
export type Handling =
  | { readonly outcome: 'handled' | 'ignored' }
  /** Try again: after `retryAfterMs`, or after the backoff. */
  | { readonly outcome: 'retry'; readonly error: unknown; readonly retryAfterMs?: number }
  /** Never try again. */
  | { readonly outcome: 'failed'; readonly error: unknown };

export interface ClaimedUpdate {
  readonly updateId: number;
  readonly payload: Record<string, unknown>;
  /** 1 for the first try. */
  readonly attempt: number;
}

/**
 * The next due update whose sender has no earlier one waiting (a sender's updates are
 * handled in order), skipping those another worker holds.
 */
const CLAIM = `SELECT update_id, payload, attempts FROM telegram_updates u
  WHERE processed_at IS NULL AND available_at <= now()
    AND (sender_id IS NULL OR NOT EXISTS (
      SELECT 1 FROM telegram_updates e
      WHERE e.sender_id = u.sender_id AND e.processed_at IS NULL AND e.update_id < u.update_id))
  ORDER BY update_id LIMIT 1 FOR UPDATE SKIP LOCKED`;

const UPDATES: QueueTable = { table: 'telegram_updates', key: 'update_id' };

interface UpdateRow {
  readonly update_id: string;
  readonly payload: Record<string, unknown>;
  readonly attempts: number;
}

/**
 * `telegram_updates`: updates stored once each (`update_id` is the key, so Telegram's
 * retries and a second receiver change nothing), then handled each exactly once: a worker
 * holds the row (FOR UPDATE) in a transaction that also carries every bot-database write of
 * the handling, and marks it handled in that same transaction. A failure rolls the
 * handling back and schedules another try with backoff.
 */
@Injectable()
export class UpdateInbox {
  constructor(@InjectBotDataSource() private readonly dataSource: DataSource) {}

  /** Stores an update unless its id is known; true when it is new. */
  async store(
    update: ReceivedUpdate,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO telegram_updates (update_id, sender_id, payload) VALUES ($1, $2, $3)
       ON CONFLICT (update_id) DO NOTHING RETURNING update_id`,
      [update.updateId, update.senderId ?? null, update.payload],
    );
    return rows.length > 0;
  }

  /** Runs `work` in a transaction of the bot database (polling stores a batch and its offset together). */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * Hands the next due update to `handle`, inside the transaction that holds it; `handle`
   * writes through the manager it is given. Returns how it ended once that is committed,
   * or undefined when nothing was due.
   */
  async handleNext(
    handle: (update: ClaimedUpdate, manager: EntityManager) => Promise<Handling>,
  ): Promise<Handling | undefined> {
    return withClaimedRows<UpdateRow, Handling>(
      this.dataSource,
      CLAIM,
      [],
      async (rows, manager) => {
        const row = rows[0] as UpdateRow;
        const update = {
          updateId: Number(row.update_id),
          payload: row.payload,
          attempt: row.attempts + 1,
        };
        await manager.query('SAVEPOINT handling');
        let handling: Handling;
        try {
          handling = await handle(update, manager);
        } catch (error) {
          handling = { outcome: 'retry', error };
        }
        if (handling.outcome === 'retry' || handling.outcome === 'failed') {
          await manager.query('ROLLBACK TO SAVEPOINT handling');
        }
        return this.settle(manager, update, handling);
      },
    );
  }

  /** Deletes handled updates past their keeping time; returns how many. */
  async purge(): Promise<number> {
    return purgeBatch(
      this.dataSource,
      UPDATES,
      'processed_at < now() - make_interval(secs => $1)',
      [KEEP_HANDLED_MS / 1_000],
    );
  }

  /** Records how handling ended; a retry past the last try ends as failed. */
  private async settle(
    manager: EntityManager,
    update: ClaimedUpdate,
    handling: Handling,
  ): Promise<Handling> {
    if (handling.outcome === 'retry' && update.attempt < MAX_ATTEMPTS) {
      await retryLater(
        manager,
        UPDATES,
        [String(update.updateId)],
        handling.error,
        handling.retryAfterMs ?? backoffDelayMs(update.attempt, RETRY),
      );
      return handling;
    }
    const failed = handling.outcome === 'retry' || handling.outcome === 'failed';
    // Once done with, the update is kept with its secrets masked (a link code in `/start CODE`).
    const kept = keptPayload(update.payload);
    const masked = JSON.stringify(kept) === JSON.stringify(update.payload) ? null : kept;
    await manager.query(
      `UPDATE telegram_updates SET processed_at = now(), attempts = $2, outcome = $3, last_error = $4,
         payload = COALESCE($5, payload)
       WHERE update_id = $1`,
      [
        update.updateId,
        update.attempt,
        failed ? 'failed' : handling.outcome,
        failed ? errorText(handling.error) : null,
        masked,
      ],
    );
    return failed ? { outcome: 'failed', error: handling.error } : handling;
  }
}
