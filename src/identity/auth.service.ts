import { BadRequestException, Injectable, UnauthorizedException } from '@nestjs/common';
import { AppContext } from '../common/app-context.js';
import { TooManyRequestsException } from '../common/http/errors.js';
import { type ClientInfo, type CreatedSession, SessionService } from '../session/index.js';
import { type User, UserRole } from './entities/index.js';
import { LoginThrottle } from './login-throttle.js';
import { PasswordHasher } from './password-hasher.js';
import { SecurityEventsService } from './security-events.service.js';
import { normalizeEmail, UsersService } from './users.service.js';

/** The same answer for an unknown email, a wrong password, and (admin) a user who is not one. */
const INVALID_CREDENTIALS = 'Invalid email or password';

export interface LoggedIn {
  readonly user: User;
  readonly created: CreatedSession;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionService,
    private readonly throttle: LoginThrottle,
    private readonly events: SecurityEventsService,
  ) {}

  async register(email: string, password: string, client: ClientInfo): Promise<LoggedIn> {
    const user = await this.users.register(email, password);
    await this.events.record({
      type: 'user.registered',
      context: AppContext.Web,
      userId: user.id,
      client,
    });
    const created = await this.sessions.create(AppContext.Web, user.id, client);
    return { user, created };
  }

  /**
   * Checks the throttle before the password (a locked account costs no hashing), always
   * verifies a hash (unknown accounts against a decoy, so timing does not tell), and counts
   * only failures.
   */
  async login(
    context: AppContext,
    email: string,
    password: string,
    client: ClientInfo,
  ): Promise<LoggedIn> {
    const address = normalizeEmail(email);
    const ip = client.ipAddress ?? 'unknown';
    const verdict = await this.throttle.check(ip, address);
    if (!verdict.allowed) {
      throw new TooManyRequestsException(
        'Too many failed logins; try again later',
        verdict.retryAfterSeconds,
      );
    }
    const user = await this.users.findByEmail(address);
    const passwordMatches = await this.hasher.verify(user?.passwordHash, password);
    const roleAllowed = context !== AppContext.Admin || user?.role === UserRole.Admin;
    if (user === null || !passwordMatches || !roleAllowed) {
      const locked = await this.throttle.recordFailure(ip, address);
      const reason =
        user === null ? 'unknown_account' : passwordMatches ? 'not_admin' : 'wrong_password';
      await this.events.record({
        type: 'login.failed',
        context,
        userId: user?.id ?? null,
        client,
        details: { email: address, reason },
      });
      if (locked)
        await this.events.record({
          type: 'login.locked',
          context,
          userId: user?.id ?? null,
          client,
          details: { email: address },
        });
      throw new UnauthorizedException(INVALID_CREDENTIALS);
    }
    await this.throttle.recordSuccess(address);
    const created = await this.sessions.create(context, user.id, client);
    await this.users.recordLogin(user.id);
    await this.events.record({ type: 'login.succeeded', context, userId: user.id, client });
    return { user, created };
  }

  /** Revokes the presented session, if it is one; the event is recorded in the same transaction. */
  async logout(context: AppContext, token: string | undefined, client: ClientInfo): Promise<void> {
    if (token === undefined) return;
    await this.sessions.revokeToken(context, token, async (manager, [userId]) => {
      if (userId !== undefined)
        await this.events.record({ type: 'logout', context, userId, client }, manager);
    });
  }

  async logoutEverywhereIn(context: AppContext, userId: string, client: ClientInfo): Promise<void> {
    await this.sessions.revokeUserSessions(userId, { context }, (manager, revoked) =>
      this.events.record(
        { type: 'sessions.revoked', context, userId, client, details: { count: revoked.length } },
        manager,
      ),
    );
  }

  async revokeOwnSession(
    context: AppContext,
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

  async changePassword(
    context: AppContext,
    userId: string,
    sessionId: string,
    currentPassword: string,
    newPassword: string,
    client: ClientInfo,
  ): Promise<void> {
    const user = await this.users.get(userId);
    if (!(await this.hasher.verify(user.passwordHash, currentPassword))) {
      throw new BadRequestException('currentPassword is incorrect');
    }
    await this.users.changePassword(userId, newPassword, sessionId, (manager) =>
      this.events.record({ type: 'password.changed', context, userId, client }, manager),
    );
  }
}
