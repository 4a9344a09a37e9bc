import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The inbox of Telegram updates: stored once per `update_id` as they arrive (webhook or
 * polling), then handled by a worker of any process, each exactly once. Handled rows are
 * kept for a week (Telegram retries a delivery for a day at most), then purged.
 */
@Entity({ name: 'telegram_updates' })
@Index('IDX_telegram_updates_pending_sender', ['senderId', 'updateId'], {
  where: '"processed_at" IS NULL',
})
@Index('IDX_telegram_updates_pending', ['updateId'], { where: '"processed_at" IS NULL' })
@Index('IDX_telegram_updates_processed', ['processedAt'])
export class TelegramUpdate {
  @PrimaryColumn({ name: 'update_id', type: 'bigint' })
  updateId!: string;

  /** The Telegram user it comes from, when it has one: their updates are handled in order. */
  @Column({ name: 'sender_id', type: 'bigint', nullable: true })
  senderId!: string | null;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  /** Not tried again before this (backoff after a failure). */
  @Column({ name: 'available_at', type: 'timestamptz', default: () => 'now()' })
  availableAt!: Date;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt!: Date | null;

  /** handled, or failed (given up after the last attempt). */
  @Column({ type: 'varchar', length: 20, nullable: true })
  outcome!: string | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;
}
