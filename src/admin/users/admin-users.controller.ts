import {
  Body,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Put,
} from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { AppContext } from '../../common/app-context.js';
import { AppController, RequirePermissions } from '../../common/http/route-context.js';
import { Permission } from '../../common/permissions.js';
import {
  type AuthenticatedSession,
  Client,
  CurrentSession,
  SecurityEventsService,
  UsersService,
  userView,
} from '../../identity/index.js';
import { type ClientInfo, SessionService } from '../../session/index.js';
import { PermissionParams, RoleDto, UserIdParams } from './dto.js';
import { StaffRules } from './staff-rules.js';

/** Staff actions on users: permissions, role, sessions, deletion. Each takes effect at once, everywhere. */
@AppController(AppContext.Admin, 'users')
@RequirePermissions(Permission.UsersManage)
export class AdminUsersController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
    private readonly events: SecurityEventsService,
    private readonly rules: StaffRules,
  ) {}

  @Get(':id')
  @ApiOperation({ summary: 'A user and their permissions in every context' })
  async get(@Param() { id }: UserIdParams) {
    const user = await this.users.get(id);
    const byContext = await this.users.permissionsByContext(id);
    return { user: userView(user), permissions: byContext };
  }

  @Put(':id/permissions/:context/:permission')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Grant a permission in a context' })
  async grant(
    @Param() params: PermissionParams,
    @CurrentSession() admin: AuthenticatedSession,
    @Client() client: ClientInfo,
  ) {
    this.rules.notOneself(admin, params.id, 'change the permissions of');
    this.rules.mayMakeStaff(admin, { permission: params.permission });
    await this.users.grant(params.id, params.context, params.permission, admin.user.id);
    await this.audit('permission.granted', params, admin, client);
  }

  @Delete(':id/permissions/:context/:permission')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke a permission in a context' })
  async revoke(
    @Param() params: PermissionParams,
    @CurrentSession() admin: AuthenticatedSession,
    @Client() client: ClientInfo,
  ) {
    this.rules.notOneself(admin, params.id, 'change the permissions of');
    this.rules.mayMakeStaff(admin, { permission: params.permission });
    const revoked = await this.users.revokePermission(
      params.id,
      params.context,
      params.permission,
      this.rules.anAdminRemains,
    );
    if (!revoked) {
      throw new NotFoundException('The user does not have this permission');
    }
    await this.audit('permission.revoked', params, admin, client);
  }

  @Put(':id/role')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Set the role (user or admin)' })
  async setRole(
    @Param() { id }: UserIdParams,
    @Body() { role }: RoleDto,
    @CurrentSession() admin: AuthenticatedSession,
    @Client() client: ClientInfo,
  ) {
    this.rules.notOneself(admin, id, 'change the role of');
    this.rules.mayMakeStaff(admin, { role: true });
    await this.users.setRole(id, role, this.rules.anAdminRemains);
    await this.events.record({
      type: 'role.changed',
      context: AppContext.Admin,
      userId: id,
      client,
      details: { role, by: admin.user.id },
    });
  }

  @Delete(':id/sessions')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke every session of the user, in every application' })
  async revokeSessions(
    @Param() { id }: UserIdParams,
    @CurrentSession() admin: AuthenticatedSession,
    @Client() client: ClientInfo,
  ) {
    await this.users.get(id);
    const count = await this.sessions.revokeUserSessions(id);
    await this.events.record({
      type: 'sessions.revoked',
      context: AppContext.Admin,
      userId: id,
      client,
      details: { count, by: admin.user.id },
    });
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete the user; their sessions are revoked first' })
  async delete(
    @Param() { id }: UserIdParams,
    @CurrentSession() admin: AuthenticatedSession,
    @Client() client: ClientInfo,
  ) {
    this.rules.notOneself(admin, id, 'delete');
    await this.users.delete(id, this.rules.anAdminRemains);
    await this.events.record({
      type: 'user.deleted',
      context: AppContext.Admin,
      userId: id,
      client,
      details: { by: admin.user.id },
    });
  }

  private audit(
    type: 'permission.granted' | 'permission.revoked',
    params: PermissionParams,
    admin: AuthenticatedSession,
    client: ClientInfo,
  ): Promise<void> {
    return this.events.record({
      type,
      context: params.context,
      userId: params.id,
      client,
      details: { permission: params.permission, by: admin.user.id },
    });
  }
}
