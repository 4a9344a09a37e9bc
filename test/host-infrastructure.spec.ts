import {
  AuthService,
  IDENTITY_STORE,
  IdentityModule,
  type IdentityModuleOptions,
  SessionService,
  UsersService,
} from '@exchanger/identity';
import { randomUUID } from 'node:crypto';
import { type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createClient } from 'redis';
import { DataSource } from 'typeorm';
import { TEST_HOST_APP_URL, TEST_REDIS_URL } from './support/test-env.js';
import { PASSWORD, uniqueEmail } from './support/users.js';

const CONTEXTS: IdentityModuleOptions['contexts'] = {
  notes: {
    lifetime: { idleMs: 60_000, absoluteMs: 3_600_000 },
    cookie: { name: 'notes_session', path: '/notes', sameSite: 'lax' },
  },
};
const CLIENT = { ipAddress: '192.0.2.1', userAgent: 'host-infrastructure.spec' };
const DATABASE = { type: 'postgres', url: TEST_HOST_APP_URL, ...IDENTITY_STORE } as const;

/** Registers a user and opens a session: a write to PostgreSQL, and the cache fill after it. */
async function openSession(app: INestApplicationContext): Promise<string> {
  const user = await app.get(UsersService).register(uniqueEmail('infra'), PASSWORD);
  const { session } = await app.get(SessionService).create('notes', user.id, CLIENT);
  return session.id;
}

/** The identity module on the host's own infrastructure, which it borrows and leaves open. */
describe('the infrastructure a host brings', () => {
  it('takes the DataSource by its TypeORM name', async () => {
    const module = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ ...DATABASE, name: 'notesStore' }),
        IdentityModule.forRoot({
          migrations: 'run',
          contexts: CONTEXTS,
          dataSource: 'notesStore',
          undeclaredRoutes: 'public',
        }),
      ],
    }).compile();
    const app = await module.init();
    const store = app.get<DataSource>(`notesStoreDataSource`);
    const id = await openSession(app);
    expect(await store.query('SELECT 1 FROM sessions WHERE id = $1', [id])).toHaveLength(1);
    await app.close();
  });

  it('takes a DataSource instance, and leaves it open at shutdown', async () => {
    const store = await new DataSource({ ...DATABASE }).initialize();
    const module = await Test.createTestingModule({
      imports: [
        IdentityModule.forRoot({
          migrations: 'run',
          contexts: CONTEXTS,
          dataSource: store,
          undeclaredRoutes: 'public',
        }),
      ],
    }).compile();
    const app = await module.init();
    const id = await openSession(app);
    await app.close();
    expect(store.isInitialized).toBe(true);
    expect(await store.query('SELECT 1 FROM sessions WHERE id = $1', [id])).toHaveLength(1);
    await store.destroy();
  });

  it('caches on the host’s node-redis client and never closes it', async () => {
    const client = createClient({ url: TEST_REDIS_URL });
    await client.connect();
    const namespace = `borrowed-${randomUUID()}`;
    const module = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ ...DATABASE }),
        IdentityModule.forRoot({
          migrations: 'run',
          contexts: CONTEXTS,
          namespace,
          redis: { client },
          undeclaredRoutes: 'public',
        }),
      ],
    }).compile();
    const app = await module.init();
    await openSession(app);
    expect((await client.keys(`${namespace}*`)).length).toBeGreaterThan(0);
    await app.close();
    expect(client.isOpen).toBe(true);
    expect(await client.ping()).toBe('PONG');
    client.destroy();
  });

  it('keeps the host’s own roles: registration gives registrationRole, a context requires one, an unknown role is refused', async () => {
    const module = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ ...DATABASE }),
        IdentityModule.forRoot({
          migrations: 'run',
          contexts: {
            ...CONTEXTS,
            editors: {
              lifetime: { idleMs: 60_000, absoluteMs: 3_600_000 },
              cookie: { name: 'editors_session', path: '/editors', sameSite: 'strict' },
              requiredRole: 'editor',
            },
          },
          roles: ['member', 'editor'],
          registrationRole: 'member',
          undeclaredRoutes: 'public',
        }),
      ],
    }).compile();
    const app = await module.init();
    try {
      const users = app.get(UsersService);
      const user = await users.register(uniqueEmail('roles'), PASSWORD);
      expect(user.role).toBe('member');
      const auth = app.get(AuthService);
      await expect(auth.login('editors', user.email, PASSWORD, CLIENT)).rejects.toThrow();
      await users.setRole(user.id, 'editor');
      await auth.login('editors', user.email, PASSWORD, CLIENT);
      await expect(users.setRole(user.id, 'admin')).rejects.toThrow(
        'role must be one of member, editor',
      );
      await expect(users.register(uniqueEmail('roles'), PASSWORD, 'owner')).rejects.toThrow(
        'role must be one of member, editor',
      );
      expect((await users.get(user.id)).role).toBe('editor');
    } finally {
      await app.close();
    }
  });
});
