import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { IDENTITY_OPTIONS, type ResolvedIdentityOptions } from './identity.options.js';
import { MailSender } from './mail/mail-sender.js';
import { type AlertKind, envelopeOf, mailTexts } from './mail/mail-texts.js';
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
    await this.mails.queue(
      { ...envelopeOf(user.email, wording), kind: `alert:${kind}`, userId: event.userId as string },
      manager,
    );
    return true;
  }
}
