import {
  type Backoff,
  backoffDelayMs,
  PeriodicWork,
  retryLater,
  withClaimedRows,
} from '@exchanger/identity';
import type { DataSource, EntityManager } from 'typeorm';

/** A message as a relay hands it to its receiver. */
export interface OutboxMessage<Payload = Record<string, unknown>> {
  /** Unique (random): receivers keep it to take each message once. */
  readonly id: string;
  readonly topic: string;
  readonly payload: Payload;
  readonly createdAt: Date;
}

/** After a failed delivery, the next try of those messages waits longer each time. */
const RETRY: Backoff = { firstMs: 500, maxMs: 60_000 };

interface OutboxRow<Payload> {
  readonly id: string;
  readonly message_id: string;
  readonly payload: Payload;
  readonly created_at: Date;
  readonly attempts: number;
}

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
   * them once it succeeds; if it fails they stay, to be tried again after a backoff (and the
   * error is thrown). Messages another relay holds are skipped. Returns how many were delivered.
   */
  async deliver<Payload>(
    topic: string,
    receive: (messages: ReadonlyArray<OutboxMessage<Payload>>) => Promise<void>,
    limit = 100,
  ): Promise<number> {
    const outcome = await withClaimedRows<
      OutboxRow<Payload>,
      { delivered: number; error?: unknown }
    >(
      this.dataSource,
      `SELECT id, message_id, payload, created_at, attempts FROM outbox
       WHERE topic = $1 AND available_at <= now()
       ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [topic, limit],
      async (rows, manager) => {
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
          const attempts = Math.max(...rows.map((row) => row.attempts)) + 1;
          await retryLater(
            manager,
            { table: 'outbox', key: 'id' },
            ids,
            error,
            backoffDelayMs(attempts, RETRY),
          );
          return { delivered: 0, error };
        }
        await manager.query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [ids]);
        return { delivered: rows.length };
      },
    );
    if (outcome === undefined) return 0;
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
 * Delivers one topic of one outbox in the background: every `intervalMs`, and at once when
 * nudged (right after a change). Several processes may relay the same topic.
 */
export class OutboxRelay<Payload> {
  private readonly work: PeriodicWork;
  private flushing: Promise<void> | undefined;
  /** The batch being delivered now, by a round or a flush: the other waits for it. */
  private delivering: Promise<number> | undefined;

  constructor(
    private readonly outbox: Outbox,
    private readonly topic: string,
    private readonly receive: (messages: ReadonlyArray<OutboxMessage<Payload>>) => Promise<void>,
    intervalMs: number,
  ) {
    this.work = new PeriodicWork({
      name: `Outbox ${topic}`,
      round: async () => (await this.deliverBatch()) > 0,
      intervalMs,
    });
  }

  start(): void {
    this.work.start();
  }

  stop(): Promise<void> {
    return this.work.stop();
  }

  /** There may be messages now: the relay looks at once. */
  nudge(): void {
    this.work.nudge();
  }

  /**
   * Delivers everything due now and resolves when done — including a batch the relay's own
   * round holds at that moment, which it waits for — one flush at a time; a failure rejects
   * (the messages stay for the relay's next round).
   */
  flush(): Promise<void> {
    this.flushing ??= (async () => {
      while ((await this.deliverBatch()) > 0) {
        // until nothing is due
      }
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private deliverBatch(): Promise<number> {
    this.delivering ??= this.outbox.deliver(this.topic, this.receive).finally(() => {
      this.delivering = undefined;
    });
    return this.delivering;
  }
}
