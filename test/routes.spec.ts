import { Controller, Get } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AppModule } from '../src/app.module.js';
import { AppContext } from '../src/common/app-context.js';
import { FIRST_ADMIN_GRANTS, Permission, PERMISSIONS_OF } from '../src/common/permissions.js';
import { loadConfig } from '../src/config/app-config.js';
import { routesOf } from './support/route-table.js';
import { startTestApp } from './support/test-app.js';
import { testEnv } from './support/test-env.js';

/** Every route as "METHOD /path  context  access", sorted. */
function routeTable(app: NestFastifyApplication): string[] {
  return routesOf(app)
    .map((route) => `${route.method} ${route.path}  ${route.context}  ${route.access}`)
    .sort();
}

describe('routes', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('declares a context and an access rule for every route (review changes here)', () => {
    expect(routeTable(app)).toEqual([
      'DELETE /admin/auth/sessions/:id  admin  session',
      'DELETE /admin/users/:id  admin  session+users:manage+StepUpGuard',
      'DELETE /admin/users/:id/permissions/:context/:permission  admin  session+users:manage+StepUpGuard',
      'DELETE /admin/users/:id/sessions  admin  session+users:manage',
      'DELETE /admin/users/:id/sessions/:sessionId  admin  session+users:manage',
      'DELETE /bot/auth/sessions/:id  telegram  session',
      'DELETE /web/auth/sessions/:id  web  session',
      'DELETE /web/auth/telegram  web  session',
      'GET /admin/audit  admin  session+audit:read',
      'GET /admin/auth/me  admin  session',
      'GET /admin/auth/sessions  admin  session',
      'GET /admin/configurations/:kind  admin  session+settings:manage',
      'GET /admin/mail  admin  session+users:manage',
      'GET /admin/metrics/:name  admin  session+metrics:read',
      'GET /admin/metrics/alerts  admin  session+metrics:read',
      'GET /admin/rates/:from/:to/history  admin  session+rates:manage',
      'GET /admin/reports/:id  admin  session+reports:manage',
      'GET /admin/reports/:id/download  admin  session+reports:manage',
      'GET /admin/settings  admin  session+settings:manage',
      'GET /admin/users  admin  session+users:manage',
      'GET /admin/users/:id  admin  session+users:manage',
      'GET /bot/auth/me  telegram  session',
      'GET /bot/auth/sessions  telegram  session',
      'GET /health  public  none',
      'GET /health/ready  public  none',
      'GET /metrics  public  none+MetricsTokenGuard',
      'GET /web/analytics/daily  web  session+analytics:read',
      'GET /web/auth/me  web  session',
      'GET /web/auth/sessions  web  session',
      'GET /web/auth/telegram  web  session',
      'GET /web/orders  web  session+orders:read',
      'GET /web/orders/:id  web  session+orders:read',
      'GET /web/profile  web  session',
      'GET /web/rates  web  anonymous',
      'GET /web/rates/:from/:to  web  anonymous',
      'PATCH /admin/users/:id  admin  session+users:manage',
      'PATCH /web/profile  web  session',
      'POST /admin/auth/confirm  admin  session',
      'POST /admin/auth/login  admin  anonymous',
      'POST /admin/auth/logout  admin  anonymous',
      'POST /admin/auth/logout-all  admin  session',
      'POST /admin/auth/password  admin  session',
      'POST /admin/configurations/:kind  admin  session+settings:manage+StepUpGuard',
      'POST /admin/configurations/:kind/versions/:version/activate  admin  session+settings:manage+StepUpGuard',
      'POST /admin/reports  admin  session+reports:manage',
      'POST /bot/auth/logout  telegram  anonymous',
      'POST /bot/auth/logout-all  telegram  session',
      'POST /bot/telegram/webhook  telegram  anonymous+SharedSecretGuard(x-telegram-bot-api-secret-token)',
      'POST /web/auth/login  web  anonymous',
      'POST /web/auth/logout  web  anonymous',
      'POST /web/auth/logout-all  web  session',
      'POST /web/auth/password  web  session',
      'POST /web/auth/password-reset  web  anonymous',
      'POST /web/auth/password-reset/confirm  web  anonymous',
      'POST /web/auth/register  web  anonymous',
      'POST /web/auth/telegram/link-code  web  session',
      'POST /web/auth/verify-email  web  anonymous',
      'POST /web/auth/verify-email/resend  web  session',
      'POST /web/orders  web  session+orders:write',
      'POST /web/orders/:id/cancel  web  session+orders:write',
      'POST /web/orders/:id/payments  web  session+orders:write',
      'POST /web/provider/orders/:id/payout  web  anonymous+ProviderSignatureGuard',
      'POST /web/provider/payments/:id  web  anonymous+ProviderSignatureGuard',
      'PUT /admin/rates/:from/:to  admin  session+rates:manage+StepUpGuard',
      'PUT /admin/settings/:key  admin  session+settings:manage+StepUpGuard',
      'PUT /admin/users/:id/permissions/:context/:permission  admin  session+users:manage+StepUpGuard',
      'PUT /admin/users/:id/role  admin  session+users:manage+StepUpGuard',
    ]);
  });

  it('asks, in each context, for exactly the permissions that can be granted there, the first admin’s among them', () => {
    // Asked for in code, not by a route's metadata: admins:manage by the staff rules inside the
    // user routes, the order permissions by the bot's commands.
    const inCode: Record<string, string[]> = {
      [AppContext.Admin]: [Permission.AdminsManage],
      [AppContext.Telegram]: [Permission.OrdersRead, Permission.OrdersWrite],
    };
    const asked = (context: string) =>
      new Set([
        ...routesOf(app)
          .filter((route) => route.context === context)
          .flatMap((route) => route.access.split('+').filter((part) => part.includes(':'))),
        ...(inCode[context] ?? []),
      ]);
    for (const context of Object.values(AppContext)) {
      expect([...asked(context)].sort()).toEqual([...PERMISSIONS_OF[context]].sort());
    }
    for (const [context, permissions] of Object.entries(FIRST_ADMIN_GRANTS)) {
      for (const permission of permissions) expect(asked(context)).toContain(permission);
    }
  });

  it('mounts no admin or bot route when APP_CONTEXTS is web', async () => {
    const web = await startTestApp({
      APP_CONTEXTS: 'web',
      DATABASE_ADMIN_URL: '',
      DATABASE_BOT_URL: '',
    });
    try {
      const routes = routeTable(web);
      expect(routes.some((row) => row.includes(' /web/'))).toBe(true);
      expect(routes.filter((row) => / \/(admin|bot)\//.test(row))).toEqual([]);
      await request(web.getHttpServer()).post('/admin/auth/login').send({}).expect(404);
      await request(web.getHttpServer()).get('/bot/auth/me').expect(404);
    } finally {
      await web.close();
    }
  });

  it('refuses to start with a controller that declares no context', async () => {
    @Controller('stray')
    class StrayController {
      @Get()
      get() {
        return 'should never be served';
      }
    }
    const module = await Test.createTestingModule({
      imports: [AppModule.forRoot(loadConfig(testEnv()))],
      controllers: [StrayController],
    }).compile();
    const stray = module.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await expect(stray.init()).rejects.toThrow(/StrayController/);
    await stray.close();
  });
});
