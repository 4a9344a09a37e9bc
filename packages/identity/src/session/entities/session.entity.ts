import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
} from 'typeorm';

/**
 * A login in one application context. The primary key is sha256(token), never the token.
 * Sessions live beside the users they belong to: `user_id` references the entity named
 * `User` of the same DataSource (by name, so this folder imports nothing of its owner).
 */
@Entity({ name: 'sessions' })
@Index('IDX_sessions_context_user', ['applicationContext', 'userId'])
@Index('IDX_sessions_expires_at', ['expiresAt'])
// Revoking all of a user's sessions (every context) and deleting a user filter on user_id alone.
@Index('IDX_sessions_user', ['userId'])
@Index('IDX_sessions_created_at', ['createdAt', 'id'])
export class Session {
  @PrimaryColumn({ type: 'varchar', length: 255 })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne('User', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_sessions_user' })
  user?: unknown;

  @Column({ name: 'application_context', type: 'varchar', length: 50 })
  applicationContext!: string;

  @Column({ name: 'session_data', type: 'jsonb', nullable: true })
  sessionData!: Record<string, unknown> | null;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_activity', type: 'timestamptz', default: () => 'now()' })
  lastActivity!: Date;

  @Column({ name: 'ip_address', type: 'inet', nullable: true })
  ipAddress!: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent!: string | null;

  @Column({ type: 'boolean', default: false })
  revoked!: boolean;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
