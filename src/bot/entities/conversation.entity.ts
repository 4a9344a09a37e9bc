import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

/**
 * One Telegram user's dialogue with the bot; linked to an identity user by `/start CODE`.
 * One Telegram account per user and the reverse: `user_id` is unique among linked rows.
 */
@Entity({ name: 'conversations' })
@Index('UQ_conversations_user', ['userId'], { unique: true, where: '"user_id" IS NOT NULL' })
export class Conversation {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'telegram_user_id', type: 'bigint', unique: true })
  telegramUserId!: string;

  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId!: string | null;

  /**
   * The telegram session the link opened, by id (the sha256 its store keys it by, never a
   * token): every update is authorised through it, so its revocation unlinks at once.
   */
  @Column({ name: 'session_id', type: 'varchar', length: 64, nullable: true })
  sessionId!: string | null;

  /** `/notify on|off`. */
  @Column({ name: 'notifications_enabled', type: 'boolean', default: true })
  notificationsEnabled!: boolean;

  /** Set when Telegram answered 403 (the user blocked the bot); cleared by their next update. */
  @Column({ name: 'blocked_at', type: 'timestamptz', nullable: true })
  blockedAt!: Date | null;

  @Column({ type: 'varchar', length: 100, default: 'idle' })
  state!: string;

  @Column({ type: 'jsonb', nullable: true })
  context!: Record<string, unknown> | null;

  /** Bumped by every write: a write based on an older read (a stale cache entry) is refused. */
  @Column({ type: 'integer', default: 1 })
  version!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
