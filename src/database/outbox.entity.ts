import {
  Column,
  CreateDateColumn,
  Entity,
  Generated,
  Index,
  PrimaryGeneratedColumn,
} from 'typeorm';

/**
 * A message for another database, written in the same transaction as the change it tells
 * of (an audit record of a staff action, an order's new status for the bot), and deleted
 * once delivered: a change and its message cannot come apart, whatever fails in between.
 */
@Entity({ name: 'outbox' })
@Index('IDX_outbox_topic_available', ['topic', 'availableAt', 'id'])
export class OutboxRow {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  /**
   * What a receiver keeps to take the message once. Random, not the sequence: a database
   * restored to an earlier point, or created anew, numbers its messages again from where
   * it was, and a receiver would skip new messages as ones it already took.
   */
  @Column({ name: 'message_id', type: 'uuid' })
  @Generated('uuid')
  messageId!: string;

  /** Who receives it (one relay per topic). */
  @Column({ type: 'varchar', length: 100 })
  topic!: string;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Failed deliveries so far; each pushes `available_at` further out. */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'available_at', type: 'timestamptz', default: () => 'now()' })
  availableAt!: Date;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;
}
