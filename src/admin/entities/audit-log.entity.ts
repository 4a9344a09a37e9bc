import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/**
 * What staff did, with the values before and after: one row per action, append-only (a
 * trigger refuses UPDATE, DELETE and TRUNCATE). Actions that change another database
 * arrive through that database's outbox; `source` and `message_id` name the message, and
 * their unique key takes each message once however often it is delivered.
 */
@Entity({ name: 'audit_logs' })
@Index('IDX_audit_logs_admin_created', ['adminId', 'createdAt'])
@Index('IDX_audit_logs_resource', ['resourceType', 'resourceId'])
@Index('IDX_audit_logs_created', ['createdAt', 'id'])
@Unique('UQ_audit_logs_source_message', ['source', 'messageId'])
export class AuditLog {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The staff member who acted; null for a failed login of an unknown account. */
  @Column({ name: 'admin_id', type: 'uuid', nullable: true })
  adminId!: string | null;

  @Column({ type: 'varchar', length: 255 })
  action!: string;

  @Column({ name: 'resource_type', type: 'varchar', length: 100 })
  resourceType!: string;

  @Column({ name: 'resource_id', type: 'varchar', length: 255, nullable: true })
  resourceId!: string | null;

  @Column({ name: 'old_values', type: 'jsonb', nullable: true })
  oldValues!: Record<string, unknown> | null;

  @Column({ name: 'new_values', type: 'jsonb', nullable: true })
  newValues!: Record<string, unknown> | null;

  @Column({ name: 'ip_address', type: 'inet', nullable: true })
  ipAddress!: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent!: string | null;

  /** The id the server gave the request (never one a client chose). */
  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId!: string | null;

  /** The X-Request-Id the client (or its proxy) sent, if any: a claim, kept for correlation. */
  @Column({ name: 'client_request_id', type: 'varchar', length: 128, nullable: true })
  clientRequestId!: string | null;

  /** The applications of the process that wrote the message, as that process said. */
  @Column({ name: 'origin_process', type: 'varchar', length: 100, nullable: true })
  originProcess!: string | null;

  /** The database the message came from (identity, web, admin): known to the relay, not claimed. */
  @Column({ type: 'varchar', length: 20, default: 'admin' })
  source!: string;

  /** The outbox message (or security event) this row was made from; null when written directly. */
  @Column({ name: 'message_id', type: 'varchar', length: 64, nullable: true })
  messageId!: string | null;

  /** When the action happened, as the message says (not when its row arrived). */
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** When the row arrived, by the admin database's clock: no message can choose it. */
  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;
}
