import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import {
  IDENTITY_DATA_SOURCE,
  IDENTITY_OPTIONS,
  type ResolvedIdentityOptions,
} from './identity.options.js';
import { MailSender } from './mail/mail-sender.js';
import { type AlertKind, mailTexts } from './mail/mail-texts.js';
import { OutgoingMails } from './mail/outgoing-mails.js';
import {
  type RecordedSecurityEvent,
  type SecurityEventInput,
  SecurityEventsService,
} from './security-events.service.js';

export type { AlertKind } from './mail/mail-texts.js';

/** The events that tell the user something, and what; a sign-in only from a new device. */
const ALERTS: Readonly<Record<string, AlertKind>> = {
  'login.succeeded': 'new-sign-in',
  'password.changed': 'password-changed',
  'telegram.linked': 'telegram-linked',
  'account.disabled': 'account-disabled',
  'staff.sessions_revoked': 'sessions-ended',
};

/** The alert an event is, before knowing whether a sign-in came from a known device. */
export function alertKindOf(event: SecurityEventInput): AlertKind | undefined {
  return event.userId === null ? undefined : ALERTS[event.type];
}

/**
 * Security alerts by mail: a sign-in from a device and address not seen for the user before
 * (no earlier sign-in or registration with the same address and user agent), a password
 * change (a reset mails its own notice), a new Telegram link, staff disabling the account or ending its sessions.
 * The mail is queued in the transaction that records the event, unless the user turned mail
 * alerts off in their profile. `isAlert` answers the same question for other channels (the
 * host's Telegram bot), so that every channel alerts on the same events.
 */
@Injectable()
export class SecurityAlerts implements OnModuleInit {
  constructor(
    @Inject(IDENTITY_OPTIONS) private readonly options: ResolvedIdentityOptions,
    @Inject(IDENTITY_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly events: SecurityEventsService,
    private readonly mails: OutgoingMails,
    private readonly sender: MailSender,
  ) {}

  onModuleInit(): void {
    if (this.options.mail === undefined) return;
    this.events.recordAlongWith(
      (event) => alertKindOf(event) !== undefined,
      async (manager, event) => {
        if (await this.mailAlert(manager, event)) this.sender.soon();
      },
    );
  }

  /** The alert the recorded event is for its user, if any (in the event's transaction). */
  async isAlert(
    manager: EntityManager,
    event: RecordedSecurityEvent,
  ): Promise<AlertKind | undefined> {
    const kind = alertKindOf(event);
    if (kind !== 'new-sign-in') return kind;
    const [seen] = await manager.query<unknown[]>(
      `SELECT 1 FROM security_events
       WHERE user_id = $1 AND id < $2 AND event_type IN ('login.succeeded', 'user.registered')
         AND ip_address IS NOT DISTINCT FROM $3::inet AND user_agent IS NOT DISTINCT FROM $4
       LIMIT 1`,
      [event.userId, event.id, event.client.ipAddress, event.client.userAgent],
    );
    return seen === undefined ? kind : undefined;
  }

  /** The id of the newest security event: where a new follower of alerts starts. */
  async latestEventId(): Promise<string> {
    const [row] = await this.dataSource.query<Array<{ id: string | null }>>(
      'SELECT max(id)::text AS id FROM security_events',
    );
    return row?.id ?? '0';
  }

  /**
   * The alerts among the events recorded after event `afterId`, oldest first, and the id to
   * continue from. Only events older than a few seconds are read: ids are taken when a
   * transaction inserts, and a transaction still open could commit a smaller id than one
   * already read; none stays open that long.
   */
  async alertsAfter(
    afterId: string,
    limit: number,
  ): Promise<{ alerts: Array<{ event: RecordedSecurityEvent; kind: AlertKind }>; next: string }> {
    const rows = await this.dataSource.query<Array<Record<string, unknown>>>(
      `SELECT id::text AS id, event_type, application_context, user_id, host(ip_address) AS ip,
         user_agent, occurred_at
       FROM security_events
       WHERE id > $1 AND event_type = ANY($2) AND user_id IS NOT NULL
         AND occurred_at < now() - interval '5 seconds'
       ORDER BY id LIMIT $3`,
      [afterId, Object.keys(ALERTS), limit],
    );
    const alerts: Array<{ event: RecordedSecurityEvent; kind: AlertKind }> = [];
    for (const row of rows) {
      const event: RecordedSecurityEvent = {
        id: row.id as string,
        type: row.event_type as string,
        context: row.application_context as string | null,
        userId: row.user_id as string,
        client: { ipAddress: row.ip as string | null, userAgent: row.user_agent as string | null },
        occurredAt: row.occurred_at as Date,
      };
      const kind = await this.isAlert(this.dataSource.manager, event);
      if (kind !== undefined) alerts.push({ event, kind });
    }
    return { alerts, next: (rows.at(-1)?.id as string | undefined) ?? afterId };
  }

  private async mailAlert(manager: EntityManager, event: RecordedSecurityEvent): Promise<boolean> {
    const kind = await this.isAlert(manager, event);
    if (kind === undefined) return false;
    const [user] = await manager.query<
      Array<{ email: string; language: string | null; email_alerts: boolean | null }>
    >(
      `SELECT u.email, p.language, (p.preferences -> 'alerts' ->> 'email')::boolean AS email_alerts
       FROM users u LEFT JOIN user_profiles p ON p.user_id = u.id WHERE u.id = $1`,
      [event.userId],
    );
    if (user === undefined || user.email_alerts === false) return false;
    const wording = mailTexts(user.language).alert(kind, {
      at: event.occurredAt.toISOString(),
      address: event.client.ipAddress,
      device: event.client.userAgent,
    });
    await this.mails.queueWording(manager, {
      to: user.email,
      wording,
      kind: `alert:${kind}`,
      userId: event.userId as string,
    });
    return true;
  }
}
