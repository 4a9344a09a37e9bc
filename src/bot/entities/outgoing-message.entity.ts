import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The bot's durable queue of Bot API calls that put something in front of a user: replies
 * (written in the transaction that handles the update) and notifications (written with
 * their `notifications` row). A sender of any process claims them (one at a time per chat,
 * in order), paces them, retries them with backoff and marks them once Telegram has them.
 */
@Entity({ name: 'outgoing_messages' })
@Index('IDX_outgoing_messages_pending_chat', ['chatId', 'id'], { where: '"outcome" IS NULL' })
@Index('IDX_outgoing_messages_pending', ['id'], { where: '"outcome" IS NULL' })
export class OutgoingMessage {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  @Column({ name: 'chat_id', type: 'bigint' })
  chatId!: string;

  /** sendMessage, editMessageText or answerCallbackQuery. */
  @Column({ type: 'varchar', length: 50 })
  method!: string;

  /** The call's parameters, as the Bot API takes them. */
  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  /** Where the delivered message is recorded in `messages`. */
  @Column({ name: 'conversation_id', type: 'uuid', nullable: true })
  conversationId!: string | null;

  /** The notification it delivers, marked sent with it. */
  @Column({ name: 'notification_id', type: 'uuid', nullable: true })
  notificationId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Not tried before this (backoff, or a 429's retry_after). */
  @Column({ name: 'available_at', type: 'timestamptz', default: () => 'now()' })
  availableAt!: Date;

  /** A reply that could not go out by then is dropped (outcome expired); notifications do not expire. */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  /**
   * Set while a sender holds the call. Found set and expired by the next claim: that sender
   * stopped between calling Telegram and marking, so the call may have gone through.
   */
  @Column({ name: 'claimed_until', type: 'timestamptz', nullable: true })
  claimedUntil!: Date | null;

  /** An earlier try may have reached the user: the next is sent silently (no sound, no push). */
  @Column({ name: 'in_doubt', type: 'boolean', default: false })
  inDoubt!: boolean;

  /** null while pending; then sent, blocked (403), failed (refused), or expired. */
  @Column({ type: 'varchar', length: 20, nullable: true })
  outcome!: string | null;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt!: Date | null;

  @Column({ name: 'telegram_message_id', type: 'bigint', nullable: true })
  telegramMessageId!: string | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;
}
