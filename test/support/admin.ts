import { UsersService } from '@exchanger/identity';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { AuditTrail } from '../../src/admin/audit/audit-trail.js';
import { AppContext, Database } from '../../src/common/app-context.js';
import { cookieFor, logIn, registerAdmin, type TestUser } from './users.js';

export interface Staff {
  user: TestUser;
  token: string;
  cookie: string;
}

/** An admin with every admin permission, logged in to the panel (so within the step-up window). */
export async function staff(app: NestFastifyApplication): Promise<Staff> {
  const user = await registerAdmin(app);
  const token = await logIn(app, AppContext.Admin, user);
  return { user, token, cookie: cookieFor(AppContext.Admin, token) };
}

/** An admin holding only these admin permissions, logged in. */
export async function staffWith(
  app: NestFastifyApplication,
  permissions: readonly string[],
): Promise<Staff> {
  const user = await registerAdmin(app);
  const users = app.get(UsersService);
  const held = await users.permissionsByContext(user.id);
  for (const permission of held[AppContext.Admin] ?? []) {
    if (!permissions.includes(permission))
      await users.revokePermission(user.id, AppContext.Admin, permission);
  }
  for (const permission of permissions)
    await users.grant(user.id, AppContext.Admin, permission, null);
  const token = await logIn(app, AppContext.Admin, user);
  return { user, token, cookie: cookieFor(AppContext.Admin, token) };
}

export function database(app: NestFastifyApplication, name: Database): DataSource {
  return app.get<DataSource>(getDataSourceToken(name));
}

export interface AuditRow {
  admin_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  old_values: Record<string, unknown> | null;
  new_values: Record<string, unknown> | null;
  ip_address: string | null;
  user_agent: string | null;
  request_id: string | null;
  client_request_id: string | null;
  origin_process: string | null;
  source: string;
  message_id: string | null;
  created_at: Date;
  received_at: Date;
}

/** Delivers pending audit messages, then reads the rows of one resource (or actor). */
export async function auditRows(
  app: NestFastifyApplication,
  where: { resourceId?: string; actor?: string; action?: string },
): Promise<AuditRow[]> {
  await app.get(AuditTrail).flush();
  return database(app, Database.Admin).query(
    `SELECT * FROM audit_logs
     WHERE ($1::varchar IS NULL OR resource_id = $1) AND ($2::uuid IS NULL OR admin_id = $2)
       AND ($3::varchar IS NULL OR action = $3)
     ORDER BY created_at, id`,
    [where.resourceId ?? null, where.actor ?? null, where.action ?? null],
  );
}

export function http(app: NestFastifyApplication) {
  return request(app.getHttpServer());
}
