import { ConflictException, ForbiddenException, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppContext } from '../../common/app-context.js';
import { Permission } from '../../common/permissions.js';
import { lockUntilCommit } from '../../database/advisory-lock.js';
import {
  type AuthenticatedSession,
  type Invariant,
  UserRole,
  UsersService,
} from '../../identity/index.js';

/** Permissions that make staff: only holders of admins:manage grant or revoke them. */
const STAFF_PERMISSIONS: ReadonlySet<string> = new Set([
  Permission.UsersManage,
  Permission.AdminsManage,
]);

/**
 * What staff may not do to accounts, whatever their permissions: change themselves (no
 * self-escalation), make staff without admins:manage, or leave the panel without an admin
 * who can manage users (no lock-out).
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
   * Checked in the transaction of a change that could remove an admin's powers: at least one
   * admin holding users:manage remains. Such changes take one lock, so two of them racing
   * (two admins demoting each other) cannot both pass.
   */
  readonly anAdminRemains: Invariant = async (manager: EntityManager) => {
    await lockUntilCommit(manager, 'exchanger:admins');
    const admins = await this.users.countHolding(manager, {
      role: UserRole.Admin,
      context: AppContext.Admin,
      permission: Permission.UsersManage,
    });
    if (admins === 0) {
      throw new ConflictException(
        'This change would leave no admin who can manage users; make another admin first',
      );
    }
  };
}
