import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { IDENTITY_DATA_SOURCE } from '../identity.options.js';
import { envelopeOf, type Wording } from './mail-texts.js';
import type { Envelope } from './mail-transport.js';
import type { MailStatus } from './outgoing-mail.entity.js';

/** A mail to queue: what it says, what kind it is, and whose it is. */
export interface MailToSend extends Envelope {
  readonly kind: string;
  readonly userId?: string;
}

/** A queued mail as staff see it: never its body (it may hold a one-time link). */
export interface MailSummary {
  readonly id: string;
  readonly recipient: string;
  readonly subject: string;
  readonly kind: string;
  readonly status: MailStatus;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly sentAt: Date | null;
}

/**
 * The `mail_outbox` table: mail is queued in the transaction of its cause, so it exists
 * exactly when the cause commits, and the sender delivers it later.
 */
@Injectable()
export class OutgoingMails {
  constructor(@Inject(IDENTITY_DATA_SOURCE) private readonly dataSource: DataSource) {}

  /** Queues one of the package's own mails: its wording, in plain text and HTML. */
  queueWording(
    manager: EntityManager,
    mail: { to: string; wording: Wording; kind: string; userId: string },
  ): Promise<void> {
    const { to, wording, ...rest } = mail;
    return this.queue({ ...envelopeOf(to, wording), ...rest }, manager);
  }

  async queue(mail: MailToSend, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.query(
      `INSERT INTO mail_outbox (recipient, subject, text_body, html_body, kind, user_id)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [mail.to, mail.subject.slice(0, 300), mail.text, mail.html, mail.kind, mail.userId ?? null],
    );
  }

  /** The newest mails of a status, newest first (staff: what failed, what waits). */
  async list(status: MailStatus, limit: number): Promise<MailSummary[]> {
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT id, recipient, subject, kind, status, attempts, last_error, created_at, sent_at
       FROM mail_outbox WHERE status = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
      [status, limit],
    );
    return rows.map((row) => ({
      id: String(row.id),
      recipient: row.recipient as string,
      subject: row.subject as string,
      kind: row.kind as string,
      status: row.status as MailStatus,
      attempts: row.attempts as number,
      lastError: row.last_error as string | null,
      createdAt: row.created_at as Date,
      sentAt: row.sent_at as Date | null,
    }));
  }
}
