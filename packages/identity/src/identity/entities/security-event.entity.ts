import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Append-only audit trail of authentication and authorization events. A trigger in the
 * migration refuses UPDATE and DELETE. No foreign key to users: the trail outlives the user.
 */
@Entity({ name: 'security_events' })
@Index('IDX_security_events_user_occurred', ['userId', 'occurredAt'])
@Index('IDX_security_events_occurred', ['occurredAt'])
export class SecurityEvent {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  @CreateDateColumn({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ name: 'event_type', type: 'varchar', length: 50 })
  eventType!: string;

  @Column({ name: 'application_context', type: 'varchar', length: 50, nullable: true })
  applicationContext!: string | null;

  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId!: string | null;

  @Column({ name: 'ip_address', type: 'inet', nullable: true })
  ipAddress!: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  details!: Record<string, string | number | boolean | null>;
}
