import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type MailStatus = 'pending' | 'sent' | 'failed';

/**
 * `mail_outbox`: every mail the identity module sends, written in the transaction of its
 * cause (a registration, a reset request, a security event) and delivered by the mail
 * sender; kept once sent or failed, so staff can see what went and what did not.
 */
@Entity({ name: 'mail_outbox' })
@Check('CHK_mail_outbox_status', `"status" IN ('pending', 'sent', 'failed')`)
@Index('IDX_mail_outbox_due', ['availableAt'], { where: `"status" = 'pending'` })
@Index('IDX_mail_outbox_status_created', ['status', 'createdAt'])
export class OutgoingMail {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'varchar', length: 320 })
  recipient!: string;

  @Column({ type: 'varchar', length: 300 })
  subject!: string;

  @Column({ name: 'text_body', type: 'text' })
  textBody!: string;

  @Column({ name: 'html_body', type: 'text' })
  htmlBody!: string;

  /** What the mail is (`password-reset`, `email-verification`, `security-alert`, …). */
  @Column({ type: 'varchar', length: 50 })
  kind!: string;

  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId!: string | null;

  @Column({ type: 'varchar', length: 10, default: 'pending' })
  status!: MailStatus;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'available_at', type: 'timestamptz', default: () => 'now()' })
  availableAt!: Date;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt!: Date | null;
}
