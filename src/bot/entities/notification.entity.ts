import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A message for a linked user (an order's status changed). It is delivered through the
 * outgoing queue (`outgoing_messages`), which marks it sent once Telegram has it.
 */
@Entity({ name: 'notifications' })
@Index('IDX_notifications_sent_created', ['sent', 'createdAt'])
export class Notification {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'telegram_user_id', type: 'bigint', nullable: true })
  telegramUserId!: string | null;

  @Column({ type: 'text' })
  message!: string;

  @Column({ name: 'notification_type', type: 'varchar', length: 100 })
  notificationType!: string;

  /** The message it was made from (`web:<outbox id>`): each becomes at most one notification. */
  @Column({
    name: 'source_message_id',
    type: 'varchar',
    length: 100,
    nullable: true,
    unique: true,
  })
  sourceMessageId!: string | null;

  @Column({ type: 'boolean', default: false })
  sent!: boolean;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt!: Date | null;

  /** Why it was not sent: blocked (the user blocked the bot, 403), failed (Telegram refused it). */
  @Column({ type: 'varchar', length: 20, nullable: true })
  outcome!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
