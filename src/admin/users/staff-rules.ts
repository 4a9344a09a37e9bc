import {
  type AuthenticatedSession,
  type Invariant,
  lockUntilCommit,
  type User,
  UsersService,
} from '@exchanger/identity';
import { ConflictException, ForbiddenException, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppContext } from '../../common/app-context.js';
import { Role } from '../../common/roles.js';
import { Permission } from '../../common/permissions.js';

/** Permissions that make staff: only holders of admins:manage grant or revoke them. */
const STAFF_PERMISSIONS: ReadonlySet<string> = new Set([
  Permission.UsersManage,
  Permission.AdminsManage,
]);

/** The powers the panel must never lose: at least one active admin holds each. */
const REQUIRED_POWERS: ReadonlyArray<readonly [Permission, string]> = [
  [Permission.UsersManage, 'manage users'],
  [Permission.AdminsManage, 'make admins'],
];

/**
 * What staff may not do to accounts, whatever their permissions: change themselves (no
 * self-escalation), make staff or touch a staff account without admins:manage (no acting
 * above one's rank), or leave the panel without an admin who can manage users and one who
 * can make admins (no lock-out).
 */
@Injectable()
export class StaffRules {
  constructor(private readonly users: UsersService) {}

  /** 409 when the staff member acts on their own account. */
  notOneself(actor: AuthenticatedSession, targetId: string, action: string): void {
    if (actor.user.id === targetId) {
      throw new ConflictException(`You cannot ${action} your own account`);
    }
  }

  /** 403 unless the actor holds admins:manage, for changes that make or unmake staff. */
  mayMakeStaff(actor: AuthenticatedSession, change: { permission?: string; role?: boolean }): void {
    const staffChange =
      change.role === true ||
      (change.permission !== undefined && STAFF_PERMISSIONS.has(change.permission));
    if (staffChange && !actor.user.permissions.includes(Permission.AdminsManage)) {
      throw new ForbiddenException(`Missing permission: ${Permission.AdminsManage}`);
    }
  }

  /**
   * 403 unless the actor holds admins:manage, for any change whose target is staff (role
   * admin): disabling, enabling, deleting, permissions, sessions. Without it a holder of
   * users:manage could remove the people above them.
   */
  mayActOn(actor: AuthenticatedSession, target: Pick<User, 'role'>): void {
    if (target.role === Role.Admin && !actor.user.permissions.includes(Permission.AdminsManage)) {
      throw new ForbiddenException(`Missing permission: ${Permission.AdminsManage}`);
    }
  }

  /**
   * Checked in the transaction of a change that could remove an admin's powers: at least one
   * active admin holding users:manage, and one holding admins:manage, remain (without the
   * latter nobody could ever make staff again: the first admin is only created when no admin
   * exists). Such changes take one lock, so two of them racing (two admins demoting each
   * other) cannot both pass.
   */
  readonly anAdminRemains: Invariant = async (manager: EntityManager) => {
    await lockUntilCommit(manager, 'exchanger:admins');
    for (const [permission, power] of REQUIRED_POWERS) {
      const holders = await this.users.countHolding(manager, {
        role: Role.Admin,
        context: AppContext.Admin,
        permission,
      });
      if (holders === 0) {
        throw new ConflictException(
          `This change would leave no admin who can ${power} (${permission}); make another admin first`,
        );
      }
    }
  };
}
