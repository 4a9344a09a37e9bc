import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { type DataSource, type EntityManager, QueryFailedError, type Repository } from 'typeorm';
import { SessionService } from '../session/index.js';
import { User, UserPermission, type UserRole } from './entities/index.js';
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

  constructor(
    @Inject(IDENTITY_DATA_SOURCE) dataSource: DataSource,
    @Inject(IDENTITY_OPTIONS) options: ResolvedIdentityOptions,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionService,
  ) {
    this.users = dataSource.getRepository(User);
    this.contexts = Object.keys(options.contexts);
    this.roleContexts = Object.entries(options.contexts).flatMap(([name, context]) =>
      context.requiredRole === undefined ? [] : [{ name, role: context.requiredRole }],
    );
    this.defaults = Object.entries(options.contexts).flatMap(([context, contextOptions]) =>
      (contextOptions.defaultPermissions ?? []).map((permission) => ({ context, permission })),
    );
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('user')
      .where('lower(user.email) = :email', { email: normalizeEmail(email) })
      .getOne();
  }

  /**
   * How many users have the role and hold the permission in the context, read inside the
   * caller's transaction (for an Invariant).
   */
  async countHolding(
    manager: EntityManager,
    holding: { role: UserRole; context: string; permission: string },
  ): Promise<number> {
    const rows: Array<{ count: number }> = await manager.query(
      `SELECT count(*)::int AS count FROM users u
       WHERE u.role = $1 AND EXISTS (
         SELECT 1 FROM user_permissions p
         WHERE p.user_id = u.id AND p.application_context = $2 AND p.permission = $3
           AND (p.expires_at IS NULL OR p.expires_at > now()))`,
      [holding.role, holding.context, holding.permission],
    );
    return rows[0]?.count ?? 0;
  }

  /** Whether any user has this role. */
  async anyWithRole(role: UserRole): Promise<boolean> {
    return this.users.exists({ where: { role } });
  }

  async get(id: string): Promise<User> {
    const user = await this.users.findOneBy({ id });
    if (user === null) throw new NotFoundException('No such user');
    return user;
  }

  /** The user's permissions, per context, sorted. */
  async permissionsByContext(userId: string): Promise<Record<string, string[]>> {
    const granted = await this.users.manager.find(UserPermission, {
      where: { userId },
      order: { permission: 'ASC' },
    });
    const byContext = Object.fromEntries(this.contexts.map((context) => [context, [] as string[]]));
    for (const grant of granted) byContext[grant.applicationContext]?.push(grant.permission);
    return byContext;
  }

  /** Creates a user with the default permissions of every context; 409 when the email is taken. */
  async register(email: string, password: string, role?: UserRole): Promise<User> {
    const passwordHash = await this.hasher.hash(password);
    try {
      return await this.users.manager.transaction(async (manager) => {
        const user = await manager.save(
          manager.create(User, {
            email: normalizeEmail(email),
            passwordHash,
            ...(role && { role }),
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
   * user in every context. The cached user holds no password, so it stays valid.
   */
  async changePassword(
    userId: string,
    newPassword: string,
    keepSessionId: string,
    alongWith: (manager: EntityManager) => Promise<unknown>,
  ): Promise<void> {
    const passwordHash = await this.hasher.hash(newPassword);
    await this.sessions.revokeUserSessions(
      userId,
      { exceptSessionId: keepSessionId },
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
  async setRole(userId: string, role: UserRole, invariant?: Invariant): Promise<void> {
    await this.get(userId);
    const lost = this.roleContexts.filter((context) => context.role !== (role as string));
    await this.sessions.changeUser(
      userId,
      (manager) => this.checked(manager.update(User, { id: userId }, { role }), manager, invariant),
      lost.length === 0 ? undefined : { contexts: lost.map((context) => context.name) },
    );
  }

  async grant(
    userId: string,
    context: string,
    permission: string,
    grantedBy: string | null,
    invariant?: Invariant,
  ): Promise<void> {
    await this.get(userId);
    await this.sessions.changeUser(userId, (manager) =>
      this.checked(
        manager
          .createQueryBuilder()
          .insert()
          .into(UserPermission)
          .values({ userId, applicationContext: context, permission, grantedBy })
          .orIgnore()
          .execute(),
        manager,
        invariant,
      ),
    );
  }

  /** False when the user did not have the permission. */
  async revokePermission(
    userId: string,
    context: string,
    permission: string,
    invariant?: Invariant,
  ): Promise<boolean> {
    const result = await this.sessions.changeUser(userId, (manager) =>
      this.checked(
        manager.delete(UserPermission, { userId, applicationContext: context, permission }),
        manager,
        invariant,
      ),
    );
    return (result.affected ?? 0) > 0;
  }

  /** Revokes every session of the user, then deletes the user (profile and permissions go with it). */
  async delete(userId: string, invariant?: Invariant): Promise<void> {
    await this.get(userId);
    await this.sessions.changeUser(
      userId,
      (manager) => this.checked(manager.delete(User, { id: userId }), manager, invariant),
      {},
    );
  }

  /** The change, then the caller's invariant, in the change's transaction. */
  private async checked<T>(
    change: Promise<T>,
    manager: EntityManager,
    invariant: Invariant | undefined,
  ): Promise<T> {
    const result = await change;
    await invariant?.(manager);
    return result;
  }
}

/**
 * A rule the caller checks inside the transaction of a change, after it (e.g. "an admin who
 * can manage users remains"); throwing rolls the change back.
 */
export type Invariant = (manager: EntityManager) => Promise<void>;
