import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  type Relation,
} from 'typeorm';
import { User } from './user.entity.js';

/**
 * A one-time code, issued by a session, that opens a session of the user in another
 * context (this product: a web session links a Telegram account with `/start CODE`). Only
 * its sha256 is stored. It is good only while the session that issued it is: any
 * revocation of that session (logout, staff action) voids it, and a password change voids
 * all of the user's codes. A user holds a few live codes at most; expired ones are purged.
 */
@Entity({ name: 'link_codes' })
@Index('IDX_link_codes_expires_at', ['expiresAt'])
@Index('IDX_link_codes_session', ['sessionId'])
@Index('IDX_link_codes_user', ['userId'])
export class LinkCode {
  @PrimaryColumn({ name: 'code_hash', type: 'varchar', length: 64 })
  codeHash!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_link_codes_user' })
  user?: Relation<User>;

  /** The session that issued the code. */
  @Column({ name: 'session_id', type: 'varchar', length: 255 })
  sessionId!: string;

  @ManyToOne('Session', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id', foreignKeyConstraintName: 'FK_link_codes_session' })
  session?: unknown;

  /** The context the code opens a session in. */
  @Column({ type: 'varchar', length: 50 })
  context!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
