import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import {
  type Backoff,
  BackgroundJob,
  backoffDelayMs,
  errorText,
  retryLater,
  withClaimedRows,
} from '../../background/index.js';
import {
  IDENTITY_DATA_SOURCE,
  IDENTITY_OPTIONS,
  type ResolvedIdentityOptions,
} from '../identity.options.js';
import { type MailTransport, mailTransport, PermanentMailError } from './mail-transport.js';

/** After a transient failure (the relay away, 4xx), the next try waits longer each time. */
const RETRY: Backoff = { firstMs: 5_000, maxMs: 30 * 60_000 };
/** A mail still not taken after this many tries (about a day of backoff) is failed. */
export const MAX_MAIL_ATTEMPTS = 50;

/** The oldest due mail, skipping one another sender holds. */
const CLAIM = `SELECT id, recipient, subject, text_body, html_body, attempts FROM mail_outbox
  WHERE status = 'pending' AND available_at <= now()
  ORDER BY available_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`;

interface MailRow {
  id: string;
  recipient: string;
  subject: string;
  text_body: string;
  html_body: string;
  attempts: number;
}

/**
 * Delivers the mail outbox, one mail at a time per round, in every process: the row is held
 * (the claim's transaction is its lease) while the relay takes it, then marked sent. A relay
 * that is away or answers 4xx delays the mail with backoff and loses none; one that refuses
 * for good (5xx) marks it failed, where staff see it. At least once: a process that dies
 * between the relay's answer and the commit leaves the mail to be sent again.
 */
@Injectable()
export class MailSender extends BackgroundJob implements OnApplicationShutdown {
  private readonly transport: MailTransport | undefined;

  constructor(
    @Inject(IDENTITY_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(IDENTITY_OPTIONS) options: ResolvedIdentityOptions,
  ) {
    super();
    if (options.mail === undefined) return;
    this.transport = mailTransport(options.mail);
    this.runs({
      name: 'MailSender',
      round: () => this.round(),
      intervalMs: options.mail.pollMs ?? 5_000,
    });
  }

  /** Mail was queued and its transaction is about to commit: the sender looks shortly after. */
  soon(): void {
    setTimeout(() => this.nudge(), 10).unref();
  }

  onApplicationShutdown(): void {
    this.transport?.close();
  }

  private async round(): Promise<boolean> {
    const transport = this.transport;
    if (transport === undefined) return false;
    const outcome = await withClaimedRows<MailRow, { retry?: unknown }>(
      this.dataSource,
      CLAIM,
      [],
      async ([row], manager) => {
        const mail = row as MailRow;
        try {
          await transport.send({
            to: mail.recipient,
            subject: mail.subject,
            text: mail.text_body,
            html: mail.html_body,
          });
        } catch (error) {
          return (await this.settleFailure(manager, mail, error)) ? { retry: error } : {};
        }
        await manager.query(
          `UPDATE mail_outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1,
             last_error = NULL WHERE id = $1`,
          [mail.id],
        );
        return {};
      },
    );
    if (outcome === undefined) return false;
    // The relay is away: committed the retry, the next round waits for the backoff too.
    if ('retry' in outcome) throw outcome.retry;
    return true;
  }

  /** Marks the mail failed, or schedules another try; true for another try. */
  private async settleFailure(
    manager: EntityManager,
    mail: MailRow,
    error: unknown,
  ): Promise<boolean> {
    const attempts = mail.attempts + 1;
    if (error instanceof PermanentMailError || attempts >= MAX_MAIL_ATTEMPTS) {
      await manager.query(
        `UPDATE mail_outbox SET status = 'failed', attempts = attempts + 1, last_error = $2
         WHERE id = $1`,
        [mail.id, errorText(error)],
      );
      return false;
    }
    await retryLater(
      manager,
      { table: 'mail_outbox', key: 'id' },
      [mail.id],
      error,
      backoffDelayMs(attempts, RETRY),
    );
    return true;
  }
}
