import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  type OnModuleInit,
} from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { TooManyRequestsException } from '../common/http/too-many-requests.js';
import { type ClientInfo, SessionService } from '../session/index.js';
import { AccountTokens } from './account-tokens.js';
import {
  IDENTITY_DATA_SOURCE,
  IDENTITY_OPTIONS,
  type ResolvedIdentityOptions,
} from './identity.options.js';
import { LoginThrottle } from './login-throttle.js';
import { MailSender } from './mail/mail-sender.js';
import { mailTexts } from './mail/mail-texts.js';
import { mailFor, type MailOptions } from './mail/mail-transport.js';
import { OutgoingMails } from './mail/outgoing-mails.js';
import { SecurityEventsService } from './security-events.service.js';

/** A verification link works this long, once. */
export const VERIFICATION_TOKEN_HOURS = 24;
/** The defaults of resending, per address and per account, per hour. */
const RESEND_LIMITS = { perAddress: 10, perAccount: 3, windowMs: 3_600_000 };

/**
 * Email verification. Registration queues a mail with a one-time link (24 hours, kept only
 * hashed) in the transaction that records the registration; using the link marks the address
 * verified (the cached user of every context follows at once); a signed-in user may ask for
 * another link, throttled per account and per address. Without `mail`, there is no mail and
 * the routes answer 503.
 */
@Injectable()
export class EmailVerification implements OnModuleInit {
  constructor(
    @Inject(IDENTITY_OPTIONS) private readonly options: ResolvedIdentityOptions,
    @Inject(IDENTITY_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly tokens: AccountTokens,
    private readonly mails: OutgoingMails,
    private readonly sender: MailSender,
    private readonly events: SecurityEventsService,
    private readonly sessions: SessionService,
    private readonly throttle: LoginThrottle,
  ) {}

  onModuleInit(): void {
    const mail = this.options.mail;
    if (mail === undefined) return;
    this.events.recordAlongWith(
      (event) => event.type === 'user.registered' && event.userId !== null,
      async (manager, event) => {
        await this.queue(manager, event.userId as string, mail);
        this.sender.soon();
      },
    );
  }

  /** Another link for the signed-in user (202); 409 once the address is verified. */
  async resend(userId: string, client: ClientInfo): Promise<void> {
    const mail = mailFor(this.options.mail, 'email verification');
    const [user] = await this.dataSource.query<Array<{ email: string; email_verified: boolean }>>(
      'SELECT email, email_verified FROM users WHERE id = $1',
      [userId],
    );
    if (user === undefined) throw new BadRequestException('No such user');
    if (user.email_verified) throw new ConflictException('The email address is already verified');
    const verdict = await this.throttle.reserveAction(
      'email-verification',
      client.ipAddress,
      user.email,
      this.options.accountMailThrottle ?? RESEND_LIMITS,
    );
    if (!verdict.allowed) {
      throw new TooManyRequestsException('Too many verification mails', verdict.retryAfterSeconds);
    }
    await this.dataSource.transaction((manager) => this.queue(manager, userId, mail));
    this.sender.soon();
  }

  /** Marks the address of the token's user verified; 400 when the token is not good. */
  async verify(token: string, client: ClientInfo): Promise<void> {
    mailFor(this.options.mail, 'email verification');
    const refused = new BadRequestException(
      'token is unknown, used or expired: ask for a new verification mail',
    );
    const [owner] = await this.dataSource.query<Array<{ user_id: string }>>(
      'SELECT user_id FROM account_tokens WHERE token_hash = $1',
      [createHash('sha256').update(token).digest('hex')],
    );
    if (owner === undefined) throw refused;
    const userId = owner.user_id;
    // The token is used and the address marked in one transaction; the user's cache entries
    // in every context are invalidated with it.
    await this.sessions.changeUser(userId, async (manager) => {
      if ((await this.tokens.use(manager, token, 'email-verification')) !== userId) throw refused;
      await manager.query('UPDATE users SET email_verified = true WHERE id = $1', [userId]);
      await this.events.record({ type: 'email.verified', context: null, userId, client }, manager);
    });
  }

  private async queue(manager: EntityManager, userId: string, mail: MailOptions): Promise<void> {
    const [user] = await manager.query<Array<{ email: string; language: string | null }>>(
      `SELECT u.email, p.language FROM users u LEFT JOIN user_profiles p ON p.user_id = u.id
       WHERE u.id = $1`,
      [userId],
    );
    if (user === undefined) return;
    const link = await this.tokens.issueLink(
      manager,
      userId,
      'email-verification',
      VERIFICATION_TOKEN_HOURS * 3_600_000,
      mail.links.emailVerification,
    );
    await this.mails.queueWording(manager, {
      to: user.email,
      wording: mailTexts(user.language).emailVerification(link, VERIFICATION_TOKEN_HOURS),
      kind: 'email-verification',
      userId,
    });
  }
}
