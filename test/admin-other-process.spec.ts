import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppContext } from '../src/common/app-context.js';
import { Permission } from '../src/common/permissions.js';
import { auditRows, http, type Staff, staff } from './support/admin.js';
import { type ApiProcess, startApiProcess, waitUntilReady } from './support/api-process.js';
import { startTestApp } from './support/test-app.js';
import { testEnv } from './support/test-env.js';
import { logIn, registerUser } from './support/users.js';

/**
 * A staff action in one process stops the user's very next request in another process:
 * the other API is a child process on the same databases and Redis.
 */
describe('admin actions seen by another process', () => {
  let app: NestFastifyApplication;
  let admin: Staff;
  let other: ApiProcess;

  beforeAll(async () => {
    app = await startTestApp();
    admin = await staff(app);
    other = await startApiProcess(testEnv({ APP_CONTEXTS: 'web' }));
    await waitUntilReady(other);
  }, 60_000);
  afterAll(async () => {
    other.child.kill('SIGTERM');
    await other.exited;
    await app.close();
  });

  const inOther = (path: string, token: string) =>
    fetch(`http://127.0.0.1:${other.port}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });

  it('stops the next request in another process when an admin revokes the permission it needs', async () => {
    const user = await registerUser(app, 'revoked');
    const token = await logIn(app, AppContext.Web, user);
    expect((await inOther('/web/orders', token)).status).toBe(200);
    await http(app)
      .delete(`/admin/users/${user.id}/permissions/web/${Permission.OrdersRead}`)
      .set('Cookie', admin.cookie)
      .expect(204);
    const refused = await inOther('/web/orders', token);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toBe(
      `Missing permission: ${Permission.OrdersRead}`,
    );
    expect((await inOther('/web/auth/me', token)).status).toBe(200);
    const rows = await auditRows(app, { resourceId: user.id });
    expect(rows.map((row) => row.action)).toEqual(['user.permission.revoked']);
  });

  it('ends every session of a disabled user in another process at its next request', async () => {
    const user = await registerUser(app, 'disabled-elsewhere');
    const token = await logIn(app, AppContext.Web, user);
    expect((await inOther('/web/auth/me', token)).status).toBe(200);
    await http(app)
      .patch(`/admin/users/${user.id}`)
      .set('Cookie', admin.cookie)
      .send({ disabled: true })
      .expect(204);
    expect((await inOther('/web/auth/me', token)).status).toBe(401);
    const login = await fetch(`http://127.0.0.1:${other.port}/web/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    expect(login.status).toBe(401);
  });
});
