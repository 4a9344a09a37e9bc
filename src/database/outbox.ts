import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';

/** A message as a relay hands it to its receiver. */
export interface OutboxMessage<Payload = Record<string, unknown>> {
  /** Unique (random): receivers keep it to take each message once. */
  readonly id: string;
  readonly topic: string;
  readonly payload: Payload;
  readonly createdAt: Date;
}

/** After a failed delivery, the next try waits this long times 2^attempts, at most MAX_RETRY_MS. */
const RETRY_BASE_MS = 500;
const MAX_RETRY_MS = 60_000;

/**
 * The transactional outbox of one database (`outbox`). A change records its message with
 * `add`, in its own transaction; a relay delivers them later with `deliver`. Delivery is
 * at least once, so a receiver makes it exactly once by keeping the message id (a unique
 * key, `ON CONFLICT DO NOTHING`).
 */
export class Outbox {
  constructor(private readonly dataSource: DataSource) {}

  /** Records a message inside the caller's transaction; returns its id. */
  async add(manager: EntityManager, topic: string, payload: object): Promise<string> {
    const rows: Array<{ message_id: string }> = await manager.query(
      'INSERT INTO outbox (topic, payload) VALUES ($1, $2) RETURNING message_id',
      [topic, payload],
    );
    return (rows[0] as { message_id: string }).message_id;
  }

  /**
   * Hands one batch of the topic's due messages, oldest first, to `receive`, and deletes
   * them once it succeeds; if it fails they stay, to be tried again after a backoff.
   * Messages another relay holds are skipped. Returns how many were delivered.
   */
  async deliver<Payload>(
    topic: string,
    receive: (messages: ReadonlyArray<OutboxMessage<Payload>>) => Promise<void>,
    limit = 100,
  ): Promise<number> {
    const outcome = await this.dataSource.transaction(async (manager) => {
      const rows: Array<{ id: string; message_id: string; payload: Payload; created_at: Date }> =
        await manager.query(
          `SELECT id, message_id, payload, created_at FROM outbox
         WHERE topic = $1 AND available_at <= now()
         ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [topic, limit],
        );
      if (rows.length === 0) return { delivered: 0 };
      const ids = rows.map((row) => row.id);
      try {
        await receive(
          rows.map((row) => ({
            id: row.message_id,
            topic,
            payload: row.payload,
            createdAt: row.created_at,
          })),
        );
      } catch (error) {
        // Committed, not rolled back: the next try waits.
        await manager.query(
          `UPDATE outbox SET attempts = attempts + 1, last_error = $2,
             available_at = now() + make_interval(secs => least($3::float8, $4::float8 * 2 ^ attempts) / 1000)
           WHERE id = ANY($1::bigint[])`,
          [ids, String(error).slice(0, 1_000), MAX_RETRY_MS, RETRY_BASE_MS],
        );
        return { delivered: 0, error };
      }
      await manager.query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [ids]);
      return { delivered: rows.length };
    });
    if ('error' in outcome) throw outcome.error;
    return outcome.delivered;
  }

  /** Messages of the topic not yet delivered. */
  async pending(topic: string): Promise<number> {
    const rows: Array<{ count: number }> = await this.dataSource.query(
      'SELECT count(*)::int AS count FROM outbox WHERE topic = $1',
      [topic],
    );
    return rows[0]?.count ?? 0;
  }
}

/**
 * Delivers one topic of one outbox on a timer (and on `nudge`, right after a change), one
 * run at a time per process; several processes may relay the same topic.
 */
export class OutboxRelay<Payload> {
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastWarningAt = 0;

  constructor(
    private readonly outbox: Outbox,
    private readonly topic: string,
    private readonly receive: (messages: ReadonlyArray<OutboxMessage<Payload>>) => Promise<void>,
    private readonly intervalMs: number,
  ) {
    this.logger = new Logger(`Outbox ${topic}`);
  }

  start(): void {
    this.timer = setInterval(() => void this.nudge(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Delivers everything due now; failures are logged (at most every 10 s) and retried later. */
  nudge(): Promise<void> {
    this.running ??= this.deliverAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async deliverAll(): Promise<void> {
    try {
      while ((await this.outbox.deliver(this.topic, this.receive)) > 0) {
        // until nothing is due
      }
    } catch (error) {
      if (Date.now() - this.lastWarningAt >= 10_000) {
        this.lastWarningAt = Date.now();
        this.logger.warn(`delivery failed, will retry: ${String(error)}`);
      }
    }
  }
}
