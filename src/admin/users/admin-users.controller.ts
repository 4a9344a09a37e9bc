import {
  type AfterUserChange,
  type AuthenticatedSession,
  CurrentSession,
  RequirePermissions,
  SecurityEventsService,
  SessionService,
  type User,
  UsersService,
} from '@exchanger/identity';
import {
  BadRequestException,
  Body,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Patch,
  Put,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { EntityManager } from 'typeorm';
import { AppContext } from '../../common/app-context.js';
import { AppController } from '../../common/http/app-controller.js';
import { Permission, PERMISSIONS_OF } from '../../common/permissions.js';
import { CurrentActor } from '../audit/actor.decorator.js';
import { type Actor, type AuditedAction, auditEntry } from '../audit/audit-entry.js';
import { AuditTrail } from '../audit/audit-trail.js';
import { StepUp } from '../step-up/step-up.js';
import { StepUpGuard } from '../step-up/step-up.guard.js';
import {
  AccountDto,
  GrantDto,
  PermissionParams,
  RoleDto,
  SessionParams,
  SessionScopeQuery,
  UserIdParams,
  UserSearchQuery,
} from './dto.js';
import { StaffRules } from './staff-rules.js';
import { securityEventView, staffSessionView, staffUserView } from './user-views.js';

const LATEST_EVENTS = 20;
/** Live sessions shown per application in a user's detail, newest first; the rest are counted. */
const SESSIONS_SHOWN = 20;

/**
 * Staff actions on users: search, details, account state, permissions, role, sessions,
 * deletion. Each change takes effect at once, everywhere, and commits with its audit message
 * (and the target's security event) in one identity transaction.
 */
@AppController(AppContext.Admin, 'users')
@RequirePermissions(Permission.UsersManage)
export class AdminUsersController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
    private readonly events: SecurityEventsService,
    private readonly rules: StaffRules,
    private readonly audit: AuditTrail,
    private readonly stepUp: StepUp,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Search users by email (any case), newest first, keyset pages' })
  async search(@Query() query: UserSearchQuery) {
    const limit = query.limit ?? 20;
    const found = await this.users.search({
      q: query.q,
      role: query.role,
      limit,
      afterId: query.cursor,
    });
    return {
      items: found.map(staffUserView),
      nextCursor: found.length === limit ? (found[found.length - 1]?.id ?? null) : null,
    };
  }

  @Get(':id')
  @ApiOperation({
    summary:
      'A user: permissions and the newest live sessions per application (the rest counted), Telegram link, latest security events',
  })
  async get(@Param() { id }: UserIdParams) {
    const user = await this.users.get(id);
    const [grants, { sessions, counts }, events] = await Promise.all([
      this.users.grantsByContext(id),
      this.sessions.newest(id, SESSIONS_SHOWN),
      this.events.latestOf(id, LATEST_EVENTS),
    ]);
    const contexts = Object.keys(grants);
    const permissions = Object.fromEntries(
      contexts.map((context) => [context, (grants[context] ?? []).map((g) => g.permission)]),
    );
    // Grants for a time, per context: when each ends.
    const expiring = Object.fromEntries(
      contexts.map((context) => [
        context,
        Object.fromEntries(
          (grants[context] ?? []).flatMap((g) =>
            g.expiresAt === null ? [] : [[g.permission, g.expiresAt.toISOString()]],
          ),
        ),
      ]),
    );
    const byContext = Object.fromEntries(
      contexts.map((context) => [
        context,
        sessions.filter((session) => session.context === context).map(staffSessionView),
      ]),
    );
    const notShown = Object.fromEntries(
      contexts.map((context) => [context, Math.max(0, (counts[context] ?? 0) - SESSIONS_SHOWN)]),
    );
    const linked = sessions.find((session) => session.context === (AppContext.Telegram as string))
      ?.data.telegramUserId;
    return {
      user: staffUserView(user),
      permissions,
      permissionsExpiring: expiring,
      sessions: byContext,
      sessionsNotShown: notShown,
      telegram: typeof linked === 'string' ? { telegramUserId: linked } : null,
      securityEvents: events.map(securityEventView),
    };
  }

  @Patch(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary:
      'Verify the email, disable or enable the account (disabling ends every session at once)',
  })
  async update(
    @Param() { id }: UserIdParams,
    @Body() body: AccountDto,
    @CurrentSession() current: AuthenticatedSession,
    @CurrentActor() actor: Actor,
  ) {
    if (body.disabled !== undefined) {
      this.rules.notOneself(current, id, 'disable or enable');
      await this.stepUp.require(current);
    }
    await this.mayActOn(current, id);
    await this.users.updateAccount(
      id,
      body,
      body.disabled === true ? this.rules.anAdminRemains : undefined,
      this.recorded(
        current,
        actor,
        (before) => ({
          action: 'user.updated',
          resourceType: 'user',
          resourceId: id,
          oldValues: pick(accountOf(before), body),
          newValues: pick(body, body),
        }),
        body.disabled === true
          ? { type: 'account.disabled', context: AppContext.Admin }
          : undefined,
      ),
    );
  }

  @Put(':id/permissions/:context/:permission')
  @UseGuards(StepUpGuard)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary:
      'Grant a permission in a context, for good or until expiresAt (a held one gets the new term)',
  })
  async grant(
    @Param() params: PermissionParams,
    @Body() body: GrantDto,
    @CurrentSession() current: AuthenticatedSession,
    @CurrentActor() actor: Actor,
  ) {
    const { context, permission } = params;
    const expiresAt = body.expiresAt === undefined ? null : new Date(body.expiresAt);
    if (expiresAt !== null && expiresAt.getTime() <= Date.now()) {
      throw new BadRequestException('expiresAt must be in the future');
    }
    if (!PERMISSIONS_OF[context].includes(permission as Permission)) {
      throw new BadRequestException(
        `${permission} is not a permission of the ${context} context: no route there asks for it`,
      );
    }
    this.rules.notOneself(current, params.id, 'change the permissions of');
    this.rules.mayMakeStaff(current, { permission });
    await this.mayActOn(current, params.id);
    const before = (await this.users.grantsByContext(params.id))[context]?.find(
      (grant) => grant.permission === permission,
    );
    const term = (until: Date | null | undefined) => until?.toISOString() ?? null;
    await this.users.grant(
      params.id,
      context,
      permission,
      { grantedBy: actor.id, expiresAt },
      undefined,
      this.recorded(
        current,
        actor,
        () => ({
          action: 'user.permission.granted',
          resourceType: 'user',
          resourceId: params.id,
          oldValues: {
            context,
            permission,
            held: before !== undefined,
            expiresAt: term(before?.expiresAt),
          },
          newValues: { context, permission, held: true, expiresAt: term(expiresAt) },
        }),
        {
          type: 'permission.granted',
          context,
          details:
            expiresAt === null
              ? { permission }
              : { permission, expiresAt: term(expiresAt) as string },
        },
      ),
    );
  }

  @Delete(':id/permissions/:context/:permission')
  @UseGuards(StepUpGuard)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke a permission in a context' })
  async revoke(
    @Param() params: PermissionParams,
    @CurrentSession() current: AuthenticatedSession,
    @CurrentActor() actor: Actor,
  ) {
    this.rules.notOneself(current, params.id, 'change the permissions of');
    this.rules.mayMakeStaff(current, { permission: params.permission });
    await this.mayActOn(current, params.id);
    const { context, permission } = params;
    const revoked = await this.users.revokePermission(
      params.id,
      context,
      permission,
      this.rules.anAdminRemains,
      this.recorded(
        current,
        actor,
        () => ({
          action: 'user.permission.revoked',
          resourceType: 'user',
          resourceId: params.id,
          oldValues: { context, permission, held: true },
          newValues: { context, permission, held: false },
        }),
        { type: 'permission.revoked', context, details: { permission } },
      ),
    );
    if (!revoked) throw new NotFoundException('The user does not have this permission');
  }

  @Put(':id/role')
  @UseGuards(StepUpGuard)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Set the role (user or admin)' })
  async setRole(
    @Param() { id }: UserIdParams,
    @Body() { role }: RoleDto,
    @CurrentSession() current: AuthenticatedSession,
    @CurrentActor() actor: Actor,
  ) {
    this.rules.notOneself(current, id, 'change the role of');
    this.rules.mayMakeStaff(current, { role: true });
    await this.users.setRole(
      id,
      role,
      this.rules.anAdminRemains,
      this.recorded(
        current,
        actor,
        (before) => ({
          action: 'user.role.changed',
          resourceType: 'user',
          resourceId: id,
          oldValues: { role: before.role },
          newValues: { role },
        }),
        { type: 'role.changed', context: AppContext.Admin, details: { role } },
      ),
    );
  }

  @Delete(':id/sessions')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Revoke every session of the user, in every application or (context=) in one',
  })
  async revokeSessions(
    @Param() { id }: UserIdParams,
    @Query() { context }: SessionScopeQuery,
    @CurrentSession() current: AuthenticatedSession,
    @CurrentActor() actor: Actor,
  ) {
    await this.mayActOn(current, id);
    await this.sessions.revokeUserSessions(
      id,
      context === undefined ? {} : { context },
      (manager, revoked) =>
        this.record(manager, actor, id, {
          action: 'user.sessions.revoked',
          resourceType: 'user',
          resourceId: id,
          oldValues: { context: context ?? null, sessions: revoked.length },
          newValues: null,
        }),
    );
  }

  @Delete(':id/sessions/:sessionId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Revoke one session of the user (404 when it is not theirs or not live)',
  })
  async revokeSession(
    @Param() params: SessionParams,
    @CurrentSession() current: AuthenticatedSession,
    @CurrentActor() actor: Actor,
  ) {
    await this.mayActOn(current, params.id);
    const live = await this.sessions.list(params.id);
    const session = live.find((candidate) => candidate.id === params.sessionId);
    if (session === undefined) throw new NotFoundException('No such session');
    const revoked = await this.sessions.revoke(
      session.context,
      session.id,
      params.id,
      async (manager, users) => {
        if (users.length === 0) return;
        await this.record(manager, actor, params.id, {
          action: 'user.session.revoked',
          resourceType: 'user',
          resourceId: params.id,
          oldValues: { context: session.context, sessionId: session.id },
          newValues: null,
        });
      },
    );
    if (revoked === undefined) throw new NotFoundException('No such session');
  }

  @Delete(':id')
  @UseGuards(StepUpGuard)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete the user; their sessions are revoked first' })
  async delete(
    @Param() { id }: UserIdParams,
    @CurrentSession() current: AuthenticatedSession,
    @CurrentActor() actor: Actor,
  ) {
    this.rules.notOneself(current, id, 'delete');
    await this.mayActOn(current, id);
    await this.users.delete(
      id,
      this.rules.anAdminRemains,
      this.recorded(
        current,
        actor,
        (before) => ({
          action: 'user.deleted',
          resourceType: 'user',
          resourceId: id,
          oldValues: { email: before.email, role: before.role },
          newValues: null,
        }),
        { type: 'user.deleted', context: AppContext.Admin },
      ),
    );
  }

  /** 404 for no such user; 403 when the user is staff and the actor may not act on staff. */
  private async mayActOn(current: AuthenticatedSession, userId: string): Promise<void> {
    this.rules.mayActOn(current, await this.users.get(userId));
  }

  /**
   * What a change to a user leaves behind, in its transaction: the audit message and, for
   * the user's own trail, a security event. The staff rule is checked again on the row as
   * the transaction locked it, so a user made staff meanwhile is not changed by a lesser one.
   */
  private recorded(
    current: AuthenticatedSession,
    actor: Actor,
    describe: (before: User, changed: boolean) => AuditedAction,
    event?: { type: string; context: string; details?: Record<string, string> },
  ): AfterUserChange {
    return async (manager, before, changed) => {
      this.rules.mayActOn(current, before);
      const action = describe(before, changed);
      if (event !== undefined) {
        await this.events.record(
          {
            type: event.type,
            context: event.context,
            userId: before.id,
            client: actor.client,
            details: { ...event.details, by: actor.id },
          },
          manager,
        );
      }
      await this.audit.inIdentity(manager, auditEntry(actor, action));
    };
  }

  private async record(
    manager: EntityManager,
    actor: Actor,
    userId: string,
    action: AuditedAction,
  ): Promise<void> {
    await this.events.record(
      {
        type: 'staff.sessions_revoked',
        context: AppContext.Admin,
        userId,
        client: actor.client,
        details: { by: actor.id, ...(action.oldValues as Record<string, string | number | null>) },
      },
      manager,
    );
    await this.audit.inIdentity(manager, auditEntry(actor, action));
  }
}

function accountOf(user: User): Required<AccountDto> {
  return { emailVerified: user.emailVerified, disabled: user.disabledAt !== null };
}

/** The fields of `values` that the request named. */
function pick(values: AccountDto, named: AccountDto): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(named)
      .filter((key) => named[key as keyof AccountDto] !== undefined)
      .map((key) => [key, values[key as keyof AccountDto]]),
  );
}
