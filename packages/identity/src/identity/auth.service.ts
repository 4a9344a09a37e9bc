import { BadRequestException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { TooManyRequestsException } from '../common/http/too-many-requests.js';
import {
  type ClientInfo,
  type CreatedSession,
  type SessionState,
  SessionService,
} from '../session/index.js';
import { AccountTokens } from './account-tokens.js';
import type { User } from './entities/index.js';
import { IDENTITY_OPTIONS, type ResolvedIdentityOptions } from './identity.options.js';
import { LinkCodesService } from './link-codes.service.js';
import { type Attempt, LoginThrottle, type RefusalReason } from './login-throttle.js';
import { PasswordHasher } from './password-hasher.js';
import { SecurityEventsService } from './security-events.service.js';
import { normalizeEmail, UsersService } from './users.service.js';

/** The same answer for an unknown email, a wrong password, and a user the context refuses. */
const INVALID_CREDENTIALS = 'Invalid email or password';
const TOO_MANY_LOGINS = 'Too many failed logins; try again later';
const TOO_MANY_SUCCESSES = 'Too many logins to this account; try again later';

export interface LoggedIn {
  readonly user: User;
  readonly created: CreatedSession;
}

@Injectable()
export class AuthService {
  constructor(
    @Inject(IDENTITY_OPTIONS) private readonly options: ResolvedIdentityOptions,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionService,
    private readonly throttle: LoginThrottle,
    private readonly events: SecurityEventsService,
    private readonly linkCodes: LinkCodesService,
    private readonly tokens: AccountTokens,
  ) {}

  /** Creates an account and its first session in `context`; registrations are throttled per address. */
  async register(
    context: string,
    email: string,
    password: string,
    client: ClientInfo,
  ): Promise<LoggedIn> {
    const slot = await this.throttle.reserveRegistration(client.ipAddress);
    if (!slot.allowed) {
      throw new TooManyRequestsException(
        'Too many registrations from this address; try again later',
        slot.retryAfterSeconds,
      );
    }
    const user = await this.users.register(email, password);
    await this.events.record({ type: 'user.registered', context, userId: user.id, client });
    const created = await this.sessions.create(context, user.id, client);
    return { user, created };
  }

  /**
   * Reserves the attempt before the password is checked (a refused attempt costs no
   * hashing, and parallel attempts cannot pass the limit), always verifies a hash (unknown
   * accounts against a decoy, so timing does not tell), and counts only failures: an attempt
   * the server could not judge (the database away, a timeout) gives its slots back.
   */
  async login(
    context: string,
    email: string,
    password: string,
    client: ClientInfo,
  ): Promise<LoggedIn> {
    const address = normalizeEmail(email);
    const requiredRole = this.options.contexts[context]?.requiredRole;
    const attempt = await this.reserve(context, address, client, { login: true });
    const { user, passwordMatches } = await judged(attempt, async () => {
      const found = await this.users.findByEmail(address);
      return {
        user: found,
        passwordMatches: await this.hasher.verify(found?.passwordHash, password),
      };
    });
    const roleAllowed = requiredRole === undefined || user?.role === requiredRole;
    const disabled = user?.disabledAt != null;
    if (user === null || !passwordMatches || !roleAllowed || disabled) {
      const reason =
        user === null
          ? 'unknown_account'
          : !passwordMatches
            ? 'wrong_password'
            : disabled
              ? 'disabled'
              : 'role_refused';
      await this.recordFailure('login.failed', context, user?.id ?? null, client, attempt, {
        email: address,
        reason,
      });
      throw new UnauthorizedException(INVALID_CREDENTIALS);
    }
    const success = await attempt.succeeded();
    if (!success.allowed)
      throw new TooManyRequestsException(TOO_MANY_SUCCESSES, success.retryAfterSeconds);
    const created = await this.sessions.create(context, user.id, client);
    await this.users.recordLogin(user.id);
    await this.events.record({ type: 'login.succeeded', context, userId: user.id, client });
    return { user, created };
  }

  /** Revokes the presented session, if it is one; the event is recorded in the same transaction. */
  async logout(context: string, token: string | undefined, client: ClientInfo): Promise<void> {
    if (token === undefined) return;
    await this.sessions.revokeToken(context, token, async (manager, [userId]) => {
      if (userId !== undefined)
        await this.events.record({ type: 'logout', context, userId, client }, manager);
    });
  }

  async logoutEverywhereIn(context: string, userId: string, client: ClientInfo): Promise<void> {
    await this.sessions.revokeUserSessions(userId, { context }, (manager, revoked) =>
      this.events.record(
        { type: 'sessions.revoked', context, userId, client, details: { count: revoked.length } },
        manager,
      ),
    );
  }

  async revokeOwnSession(
    context: string,
    userId: string,
    sessionId: string,
    client: ClientInfo,
  ): Promise<boolean> {
    const revoked = await this.sessions.revoke(
      context,
      sessionId,
      userId,
      async (manager, users) => {
        if (users.length > 0) {
          await this.events.record(
            { type: 'session.revoked', context, userId, client, details: { sessionId } },
            manager,
          );
        }
      },
    );
    return revoked !== undefined;
  }

  /**
   * Changes the password, revokes every other session of the user and voids all of the
   * user's link codes, this session's too (a code may be in the hands of whoever made the
   * change necessary). A wrong current password counts like a failed login of that
   * account: once the account is locked, the session that tried is ended too (a stolen
   * session is not an oracle for the password).
   */
  async changePassword(
    context: string,
    userId: string,
    sessionId: string,
    currentPassword: string,
    newPassword: string,
    client: ClientInfo,
  ): Promise<void> {
    await this.checkSessionPassword(
      context,
      userId,
      sessionId,
      currentPassword,
      'currentPassword',
      client,
    );
    await this.users.changePassword(userId, newPassword, sessionId, async (manager) => {
      await this.linkCodes.voidAll(userId, manager);
      await this.tokens.voidAll(manager, userId, 'password-reset');
      await this.events.record({ type: 'password.changed', context, userId, client }, manager);
    });
  }

  /**
   * The user of a session enters their password again (step-up before a dangerous action).
   * Throttled like a login, and a wrong password counts like a failed one: once the account
   * is locked, the session that tried ends. Recorded as `password.confirmed` for the session.
   */
  async confirmPassword(
    context: string,
    userId: string,
    sessionId: string,
    password: string,
    client: ClientInfo,
  ): Promise<void> {
    await this.checkSessionPassword(context, userId, sessionId, password, 'password', client);
    await this.events.record({
      type: 'password.confirmed',
      context,
      userId,
      client,
      details: { sessionId },
    });
  }

  /**
   * Checks the password the user of a session entered, throttled like a login: a wrong one
   * counts as a failed login (400 naming `field`), and once the account locks, the session
   * that tried ends (401), so a stolen session is no oracle for the password.
   */
  private async checkSessionPassword(
    context: string,
    userId: string,
    sessionId: string,
    password: string,
    field: string,
    client: ClientInfo,
  ): Promise<void> {
    const user = await this.users.get(userId);
    const attempt = await this.reserve(context, normalizeEmail(user.email), client, {
      endSession: sessionId,
    });
    const matches = await judged(attempt, () => this.hasher.verify(user.passwordHash, password));
    if (!matches) {
      await this.recordFailure('password.failed', context, userId, client, attempt, {});
      if (attempt.locks) {
        await this.sessions.revoke(context, sessionId);
        throw new UnauthorizedException('Too many wrong passwords: this session has ended');
      }
      throw new BadRequestException(`${field} is incorrect`);
    }
    await attempt.succeeded();
  }

  /**
   * When the session's user last entered their password in it: the login that created the
   * session, or a later confirmation (confirmPassword), in epoch milliseconds.
   */
  async lastPasswordEntry(session: SessionState): Promise<number> {
    const confirmed = await this.events.latestTime(session.userId, 'password.confirmed', {
      key: 'sessionId',
      value: session.id,
    });
    return Math.max(session.createdAt, confirmed?.getTime() ?? 0);
  }

  /** Reserves a password check; a refusal is a 429 (and, for a session's check, its end). */
  private async reserve(
    context: string,
    email: string,
    client: ClientInfo,
    { login = false, endSession }: { login?: boolean; endSession?: string },
  ): Promise<Attempt> {
    const reservation = await this.throttle.reserve({
      context,
      email,
      ip: client.ipAddress,
      lockPerAddress: this.options.contexts[context]?.lockPerAddress === true,
      login,
    });
    if (reservation.allowed) return reservation.attempt;
    if (endSession !== undefined) await this.sessions.revoke(context, endSession);
    throw new TooManyRequestsException(
      refusalMessage(reservation.reason, endSession !== undefined),
      reservation.retryAfterSeconds,
    );
  }

  private async recordFailure(
    type: 'login.failed' | 'password.failed',
    context: string,
    userId: string | null,
    client: ClientInfo,
    attempt: Attempt,
    details: Record<string, string>,
  ): Promise<void> {
    await this.events.record({ type, context, userId, client, details });
    const email: Record<string, string> =
      details.email === undefined ? {} : { email: details.email };
    if (attempt.slows)
      await this.events.record({ type: 'login.slowed', context, userId, client, details: email });
    if (attempt.locks)
      await this.events.record({ type: 'login.locked', context, userId, client, details: email });
  }
}

/**
 * Runs the part of an attempt that decides it. Its throwing is the server's failure, not the
 * client's (the database away, a timeout): the attempt's slots are given back, so an outage
 * counts against nobody.
 */
async function judged<Result>(attempt: Attempt, decide: () => Promise<Result>): Promise<Result> {
  try {
    return await decide();
  } catch (error) {
    await attempt.abandoned();
    throw error;
  }
}

function refusalMessage(reason: RefusalReason, sessionCheck: boolean): string {
  if (reason === 'successes') return TOO_MANY_SUCCESSES;
  return sessionCheck ? 'Too many wrong passwords; log in again later' : TOO_MANY_LOGINS;
}
