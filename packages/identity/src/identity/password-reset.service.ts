import {
  BadRequestException,
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
} from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { errorText } from '../background/index.js';
import { TooManyRequestsException } from '../common/http/too-many-requests.js';
import type { ClientInfo } from '../session/index.js';
import { AccountTokens } from './account-tokens.js';
import {
  IDENTITY_DATA_SOURCE,
  IDENTITY_OPTIONS,
  type ResolvedIdentityOptions,
} from './identity.options.js';
import { LinkCodesService } from './link-codes.service.js';
import { LoginThrottle } from './login-throttle.js';
import { MailSender } from './mail/mail-sender.js';
import { mailTexts } from './mail/mail-texts.js';
import { mailFor, type MailOptions } from './mail/mail-transport.js';
import { OutgoingMails } from './mail/outgoing-mails.js';
import { ProfilesService } from './profiles.service.js';
import { SecurityEventsService } from './security-events.service.js';
import { normalizeEmail, UsersService } from './users.service.js';

/** A reset link works this long, once. */
export const RESET_TOKEN_MINUTES = 30;
/** Reset requests per address (IPv6: /64) and per account, per hour. */
const RESET_LIMITS = { perAddress: 10, perAccount: 3, windowMs: 3_600_000 };

/**
 * Password reset by mail. A request answers the same, at once, whether the account exists or
 * not: the lookup and the mail happen after the answer. A known, enabled account gets a
 * one-time link (30 minutes; a newer request or a password change voids it). Using it sets
 * the password, ends every session of the user in every context, voids link codes, records
 * `password.reset` and mails "your password was changed", in one transaction.
 */
@Injectable()
export class PasswordReset implements BeforeApplicationShutdown {
  /** Resets answered already and still being issued (the answer does not wait for them). */
  private readonly issuing = new Set<Promise<void>>();

  private readonly logger = new Logger('PasswordReset');

  constructor(
    @Inject(IDENTITY_OPTIONS) private readonly options: ResolvedIdentityOptions,
    @Inject(IDENTITY_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly tokens: AccountTokens,
    private readonly mails: OutgoingMails,
    private readonly sender: MailSender,
    private readonly profiles: ProfilesService,
    private readonly linkCodes: LinkCodesService,
    private readonly events: SecurityEventsService,
    private readonly throttle: LoginThrottle,
  ) {}

  /** Throttled (429), then done in the background; the caller answers 202 whatever happens. */
  async request(context: string, email: string, client: ClientInfo): Promise<void> {
    const mail = mailFor(this.options.mail, 'password reset');
    const verdict = await this.throttle.reserveAction(
      'password-reset',
      client.ipAddress,
      normalizeEmail(email),
      this.options.accountMailThrottle ?? RESET_LIMITS,
    );
    if (!verdict.allowed) {
      throw new TooManyRequestsException('Too many reset requests', verdict.retryAfterSeconds);
    }
    const issuing = this.issue(context, email, client, mail)
      .catch((error: unknown) => {
        this.logger.warn(`a password reset was not issued: ${errorText(error)}`);
      })
      .finally(() => this.issuing.delete(issuing));
    this.issuing.add(issuing);
  }

  /** Resolves once every reset requested so far is issued (or refused); shutdown waits for it. */
  async settled(): Promise<void> {
    await Promise.all(this.issuing);
  }

  /** Before the connections close, so that a reset being issued commits. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.settled();
  }

  /** Sets the new password with a mailed token; 400 when the token is not good. */
  async confirm(
    context: string,
    token: string,
    newPassword: string,
    client: ClientInfo,
  ): Promise<void> {
    mailFor(this.options.mail, 'password reset');
    const userId = await this.dataSource.transaction((manager) =>
      this.tokens.use(manager, token, 'password-reset'),
    );
    if (userId === undefined) {
      throw new BadRequestException('token is unknown, used or expired: ask for a new reset mail');
    }
    const user = await this.users.get(userId);
    const language = (await this.profiles.languagesOf([userId])).get(userId);
    await this.users.changePassword(userId, newPassword, undefined, async (manager) => {
      await this.tokens.voidAll(manager, userId, 'password-reset');
      await this.linkCodes.voidAll(userId, manager);
      await this.events.record({ type: 'password.reset', context, userId, client }, manager);
      await this.mails.queueWording(manager, {
        to: user.email,
        wording: mailTexts(language).passwordChanged(),
        kind: 'password-changed',
        userId,
      });
    });
    this.sender.soon();
  }

  private async issue(
    context: string,
    email: string,
    client: ClientInfo,
    mail: MailOptions,
  ): Promise<void> {
    const user = await this.users.findByEmail(email);
    if (user === null || user.disabledAt !== null) return;
    const language = (await this.profiles.languagesOf([user.id])).get(user.id);
    await this.dataSource.transaction(async (manager) => {
      const link = await this.tokens.issueLink(
        manager,
        user.id,
        'password-reset',
        RESET_TOKEN_MINUTES * 60_000,
        mail.links.passwordReset,
      );
      await this.mails.queueWording(manager, {
        to: user.email,
        wording: mailTexts(language).passwordReset(link, RESET_TOKEN_MINUTES),
        kind: 'password-reset',
        userId: user.id,
      });
      await this.events.record(
        { type: 'password.reset_requested', context, userId: user.id, client },
        manager,
      );
    });
    this.sender.soon();
  }
}
