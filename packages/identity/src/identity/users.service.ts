import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import type { Readable } from 'node:stream';
import { type DataSource, type EntityManager, QueryFailedError, type Repository } from 'typeorm';
import { streamRows } from '../database/row-stream.js';
import { type SessionRevocation, SessionService } from '../session/index.js';
import { User, UserPermission } from './entities/index.js';
import {
  IDENTITY_DATA_SOURCE,
  IDENTITY_OPTIONS,
  type ResolvedIdentityOptions,
} from './identity.options.js';
import { PasswordHasher } from './password-hasher.js';

/** One spelling per address: stored, compared and throttled lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function isUniqueViolation(error: unknown): boolean {
  return (
    error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505'
  );
}

/**
 * Users and their permissions. Every change goes through SessionService.changeUser, so the
 * user's cached entries in every context are invalidated with the change, race-free.
 */
@Injectable()
export class UsersService {
  private readonly users: Repository<User>;
  private readonly contexts: readonly string[];
  private readonly defaults: ReadonlyArray<{ context: string; permission: string }>;
  /** Contexts only users of a role may use. */
  private readonly roleContexts: ReadonlyArray<{ name: string; role: string }>;
  private readonly roles: readonly string[];
  private readonly registrationRole: string;

  constructor(
    @Inject(IDENTITY_DATA_SOURCE) dataSource: DataSource,
    @Inject(IDENTITY_OPTIONS) options: ResolvedIdentityOptions,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionService,
  ) {
    this.users = dataSource.getRepository(User);
    this.contexts = Object.keys(options.contexts);
    this.roles = options.roles;
    this.registrationRole = options.registrationRole;
    this.roleContexts = Object.entries(options.contexts).flatMap(([name, context]) =>
      context.requiredRole === undefined ? [] : [{ name, role: context.requiredRole }],
    );
    this.defaults = Object.entries(options.contexts).flatMap(([context, contextOptions]) =>
      (contextOptions.defaultPermissions ?? []).map((permission) => ({ context, permission })),
    );
  }

  /** 400 for a role the host did not declare. */
  private checkRole(role: string): void {
    if (!this.roles.includes(role)) {
      throw new BadRequestException(`role must be one of ${this.roles.join(', ')}`);
    }
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('user')
      .where('lower(user.email) = :email', { email: normalizeEmail(email) })
      .getOne();
  }

  /**
   * How many users (not disabled) have the role and hold the permission in the context, read
   * inside the caller's transaction (for an Invariant).
   */
  async countHolding(
    manager: EntityManager,
    holding: { role: string; context: string; permission: string },
  ): Promise<number> {
    const rows: Array<{ count: number }> = await manager.query(
      `SELECT count(*)::int AS count FROM users u
       WHERE u.role = $1 AND u.disabled_at IS NULL AND EXISTS (
         SELECT 1 FROM user_permissions p
         WHERE p.user_id = u.id AND p.application_context = $2 AND p.permission = $3
           AND (p.expires_at IS NULL OR p.expires_at > now()))`,
      [holding.role, holding.context, holding.permission],
    );
    return rows[0]?.count ?? 0;
  }

  /**
   * Users newest first, in a stable order (creation time, then id), a page at a time: `afterId`
   * is the last user of the previous page (keyset pagination, so pages do not shift as users
   * are added). `q` matches a part of the email, whatever its case.
   */
  search(query: UserSearch): Promise<User[]> {
    const builder = this.users
      .createQueryBuilder('user')
      .orderBy('user.createdAt', 'DESC')
      .addOrderBy('user.id', 'DESC')
      .take(query.limit);
    if (query.q !== undefined && query.q !== '') {
      builder.andWhere(`lower(user.email) LIKE :pattern ESCAPE '\\'`, {
        pattern: `%${normalizeEmail(query.q).replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
      });
    }
    if (query.role !== undefined) builder.andWhere('user.role = :role', { role: query.role });
    if (query.afterId !== undefined) {
      // Compared with the row itself: timestamps keep microseconds a JavaScript Date drops.
      builder.andWhere(
        '("user"."created_at", "user"."id") < (SELECT a.created_at, a.id FROM users a WHERE a.id = :afterId)',
        { afterId: query.afterId },
      );
    }
    return builder.getMany();
  }

  /**
   * Users created in [from, to), oldest first, as a read-only stream of rows with bounded
   * memory (reports): id, email, role, email_verified, disabled_at, created_at, last_login_at.
   */
  streamCreatedBetween(from: Date, to: Date): Readable & AsyncIterable<Record<string, unknown>> {
    return streamRows(
      this.users.manager.connection,
      `SELECT id, email, role, email_verified, disabled_at, created_at, last_login_at FROM users
       WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at, id`,
      [from, to],
    );
  }

  /** Whether any user has this role. */
  async anyWithRole(role: string): Promise<boolean> {
    return this.users.exists({ where: { role } });
  }

  async get(id: string): Promise<User> {
    const user = await this.users.findOneBy({ id });
    if (user === null) throw new NotFoundException('No such user');
    return user;
  }

  /** The user's permissions in force, per context, sorted. */
  async permissionsByContext(userId: string): Promise<Record<string, string[]>> {
    const grants = await this.grantsByContext(userId);
    return Object.fromEntries(
      Object.entries(grants).map(([context, held]) => [context, held.map((g) => g.permission)]),
    );
  }

  /** The grants in force, per context, sorted by permission: when and by whom, and until when. */
  async grantsByContext(userId: string): Promise<Record<string, Grant[]>> {
    const granted = await this.users.manager
      .createQueryBuilder(UserPermission, 'p')
      .where('p.user_id = :userId', { userId })
      .andWhere('(p.expires_at IS NULL OR p.expires_at > now())')
      .orderBy('p.permission', 'ASC')
      .getMany();
    const byContext = Object.fromEntries(this.contexts.map((context) => [context, [] as Grant[]]));
    for (const grant of granted) {
      byContext[grant.applicationContext]?.push({
        permission: grant.permission,
        grantedAt: grant.grantedAt,
        grantedBy: grant.grantedBy,
        expiresAt: grant.expiresAt,
      });
    }
    return byContext;
  }

  /** Creates a user with the default permissions of every context; 409 when the email is taken. */
  async register(
    email: string,
    password: string,
    role: string = this.registrationRole,
  ): Promise<User> {
    this.checkRole(role);
    const passwordHash = await this.hasher.hash(password);
    try {
      return await this.users.manager.transaction(async (manager) => {
        const user = await manager.save(
          manager.create(User, {
            email: normalizeEmail(email),
            passwordHash,
            role,
          }),
        );
        const defaults = this.defaults.map(({ context, permission }) => ({
          userId: user.id,
          applicationContext: context,
          permission,
        }));
        if (defaults.length > 0) await manager.insert(UserPermission, defaults);
        return user;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictException('This email is already registered');
      throw error;
    }
  }

  async recordLogin(userId: string): Promise<void> {
    await this.users.update({ id: userId }, { lastLoginAt: () => 'now()' });
  }

  /**
   * Sets a new password and, in the same transaction, revokes every other session of the
   * user in every context (every session, without `keepSessionId`). The cached user holds no password, so it stays valid.
   */
  async changePassword(
    userId: string,
    newPassword: string,
    keepSessionId: string | undefined,
    alongWith: (manager: EntityManager) => Promise<unknown>,
  ): Promise<void> {
    const passwordHash = await this.hasher.hash(newPassword);
    await this.sessions.revokeUserSessions(
      userId,
      keepSessionId === undefined ? {} : { exceptSessionId: keepSessionId },
      async (manager) => {
        await manager.update(User, { id: userId }, { passwordHash });
        await alongWith(manager);
      },
    );
  }

  /**
   * Sets the role. The user's sessions in contexts that require another role end in the
   * same transaction (a demoted admin is out of the panel at once, not at the next lookup).
   */
  async setRole(
    userId: string,
    role: string,
    invariant?: Invariant,
    after?: AfterUserChange,
  ): Promise<void> {
    this.checkRole(role);
    const lost = this.roleContexts.filter((context) => context.role !== role);
    await this.changing(
      userId,
      async (manager, before) => {
        await manager.update(User, { id: userId }, { role });
        return before.role !== role;
      },
      { invariant, after },
      lost.length === 0 ? undefined : { contexts: lost.map((context) => context.name) },
    );
  }

  /**
   * Grants a permission in a context, for good or until `expiresAt` (then it stops working
   * in every process at that instant: a cached principal never outlives it). Granting a held
   * permission again sets its new term; `after` learns whether anything changed.
   */
  async grant(
    userId: string,
    context: string,
    permission: string,
    terms: GrantTerms | string | null,
    invariant?: Invariant,
    after?: AfterUserChange,
  ): Promise<void> {
    const { grantedBy, expiresAt = null } =
      terms !== null && typeof terms === 'object' ? terms : { grantedBy: terms };
    await this.changing(
      userId,
      async (manager) => {
        const rows: unknown[] = await manager.query(
          `WITH granted AS (
             INSERT INTO user_permissions (user_id, application_context, permission, granted_by, expires_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT ON CONSTRAINT "UQ_user_permissions_user_permission_context" DO UPDATE
               SET expires_at = EXCLUDED.expires_at, granted_by = EXCLUDED.granted_by,
                   granted_at = now()
               WHERE user_permissions.expires_at IS DISTINCT FROM EXCLUDED.expires_at
                  OR user_permissions.expires_at <= now()
             RETURNING 1)
           SELECT 1 FROM granted`,
          [userId, context, permission, grantedBy, expiresAt],
        );
        return rows.length > 0;
      },
      { invariant, after },
    );
  }

  /** False when the user did not have the permission (nothing changed, `after` not called). */
  async revokePermission(
    userId: string,
    context: string,
    permission: string,
    invariant?: Invariant,
    after?: AfterUserChange,
  ): Promise<boolean> {
    return this.changing(
      userId,
      async (manager) => {
        const result = await manager.delete(UserPermission, {
          userId,
          applicationContext: context,
          permission,
        });
        return (result.affected ?? 0) > 0;
      },
      { invariant, after, onlyIfChanged: true },
    );
  }

  /**
   * Changes the account's state: whether its email is verified, whether it is disabled.
   * Disabling revokes every session of the user, in every context, in the same transaction;
   * a disabled user has no principal (no session of theirs validates) and cannot log in.
   */
  async updateAccount(
    userId: string,
    changes: AccountChanges,
    invariant?: Invariant,
    after?: AfterUserChange,
  ): Promise<void> {
    await this.changing(
      userId,
      async (manager, before) => {
        const update: Parameters<typeof manager.update<User>>[2] = {};
        if (changes.emailVerified !== undefined && changes.emailVerified !== before.emailVerified)
          update.emailVerified = changes.emailVerified;
        if (changes.disabled !== undefined && changes.disabled !== (before.disabledAt !== null))
          update.disabledAt = changes.disabled ? () => 'now()' : null;
        if (Object.keys(update).length === 0) return false;
        await manager.update(User, { id: userId }, update);
        return true;
      },
      { invariant, after },
      changes.disabled === true ? {} : undefined,
    );
  }

  /** Revokes every session of the user, then deletes the user (profile and permissions go with it). */
  async delete(userId: string, invariant?: Invariant, after?: AfterUserChange): Promise<void> {
    await this.changing(
      userId,
      async (manager) => {
        await manager.delete(User, { id: userId });
        return true;
      },
      { invariant, after },
      {},
    );
  }

  /**
   * One change of a user, through SessionService.changeUser (caches invalidated everywhere,
   * `revokeSessions` revoked in the same transaction): the user's row is locked and read
   * first (404 when there is none), then the change, the caller's invariant and `after`
   * run, in that order, in the transaction. Returns whether the change changed anything.
   */
  private async changing(
    userId: string,
    change: (manager: EntityManager, before: User) => Promise<boolean>,
    hooks: { invariant?: Invariant; after?: AfterUserChange; onlyIfChanged?: boolean },
    revokeSessions?: SessionRevocation,
  ): Promise<boolean> {
    return this.sessions.changeUser(
      userId,
      async (manager) => {
        const before = await manager.findOne(User, {
          where: { id: userId },
          lock: { mode: 'pessimistic_write' },
        });
        if (before === null) throw new NotFoundException('No such user');
        const changed = await change(manager, before);
        await hooks.invariant?.(manager);
        if (changed || hooks.onlyIfChanged !== true) await hooks.after?.(manager, before, changed);
        return changed;
      },
      revokeSessions,
    );
  }
}

/** How a permission is granted: by whom, and until when (for good when absent). */
export interface GrantTerms {
  readonly grantedBy: string | null;
  readonly expiresAt?: Date | null;
}

/** A permission in force. */
export interface Grant {
  readonly permission: string;
  readonly grantedAt: Date;
  readonly grantedBy: string | null;
  readonly expiresAt: Date | null;
}

export interface AccountChanges {
  readonly emailVerified?: boolean;
  readonly disabled?: boolean;
}

export interface UserSearch {
  readonly q?: string;
  readonly role?: string;
  readonly limit: number;
  /** The last user of the previous page. */
  readonly afterId?: string;
}

/**
 * A rule the caller checks inside the transaction of a change, after it (e.g. "an admin who
 * can manage users remains"); throwing rolls the change back.
 */
export type Invariant = (manager: EntityManager) => Promise<void>;

/**
 * Work the caller does in the transaction of a change to a user, after it (e.g. a message
 * for another database telling of it): the user as they were before, and whether the change
 * changed anything. Throwing rolls the change back.
 */
export type AfterUserChange = (
  manager: EntityManager,
  before: User,
  changed: boolean,
) => Promise<void>;
