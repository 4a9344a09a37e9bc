import {
  IDENTITY_STORE,
  type IdentityContextOptions,
  type IdentityModuleOptions,
  IdentityModule,
  IdentityOptionsError,
  UsersService,
} from '@exchanger/identity';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TEST_HOST_APP_URL } from './support/test-env.js';

const VALID: IdentityModuleOptions = {
  contexts: {
    notes: {
      lifetime: { idleMs: 60_000, absoluteMs: 3_600_000 },
      cookie: { name: 'notes_session', path: '/notes', sameSite: 'lax' },
    },
    staff: {
      lifetime: { idleMs: 60_000, absoluteMs: 60_000 },
      cookie: { name: 'staff_session', path: '/staff', sameSite: 'strict' },
    },
  },
};

function withContext(
  name: 'notes' | 'staff',
  change: (context: IdentityContextOptions) => object,
): IdentityModuleOptions {
  const context = VALID.contexts[name];
  if (context === undefined) throw new Error(`no context ${name}`);
  return {
    ...VALID,
    contexts: { ...VALID.contexts, [name]: change(context) as IdentityContextOptions },
  };
}

/** forRootAsync options whose factory returns `options`; the guards are left to the host. */
const DATABASE = TypeOrmModule.forRoot({
  type: 'postgres',
  url: TEST_HOST_APP_URL,
  ...IDENTITY_STORE,
});

async function start(identity: ReturnType<typeof IdentityModule.forRootAsync>) {
  return Test.createTestingModule({ imports: [DATABASE, identity] }).compile();
}

@Injectable()
class NotesIdentityConfig {
  createIdentityOptions(): IdentityModuleOptions {
    return VALID;
  }
}

@Module({ providers: [NotesIdentityConfig], exports: [NotesIdentityConfig] })
class NotesConfigModule {}

describe('IdentityModule options', () => {
  it.each<[string, IdentityModuleOptions, string]>([
    [
      'a non-positive lifetime',
      withContext('notes', (c) => ({ ...c, lifetime: { idleMs: 0, absoluteMs: 1 } })),
      'contexts.notes.lifetime.idleMs must be a positive number (got 0)',
    ],
    [
      'an idle lifetime past the absolute one',
      withContext('notes', (c) => ({ ...c, lifetime: { idleMs: 2_000, absoluteMs: 1_000 } })),
      'contexts.notes.lifetime.idleMs must not exceed absoluteMs',
    ],
    [
      'a cookie path without a leading slash',
      withContext('notes', (c) => ({ ...c, cookie: { ...c.cookie, path: 'notes' } })),
      'contexts.notes.cookie.path must start with / (got notes)',
    ],
    [
      'two contexts on one cookie name',
      withContext('staff', (c) => ({ ...c, cookie: { ...c.cookie, name: 'notes_session' } })),
      'contexts.notes and contexts.staff share the cookie name notes_session',
    ],
    [
      'an unknown sameSite',
      withContext('notes', (c) => ({ ...c, cookie: { ...c.cookie, sameSite: 'none' } })),
      'contexts.notes.cookie.sameSite must be one of lax, strict (got none)',
    ],
    [
      'a non-positive throttle number',
      { ...VALID, loginThrottle: { ipMaxFailures: -1 } },
      'loginThrottle.ipMaxFailures must be a positive number (got -1)',
    ],
    [
      'a non-positive registration window',
      { ...VALID, registrationThrottle: { max: 5, windowMs: 0 } },
      'registrationThrottle.windowMs must be a positive number (got 0)',
    ],
    ['no context at all', { contexts: {} }, 'contexts must declare at least one context'],
    [
      'a context requiring a role the host does not have',
      withContext('staff', (c) => ({ ...c, requiredRole: 'admin' })),
      'contexts.staff.requiredRole admin is not one of roles (user)',
    ],
    [
      'a registration role outside the roles',
      { ...VALID, roles: ['member', 'editor'], registrationRole: 'guest' },
      'registrationRole guest is not one of roles (member, editor)',
    ],
    ['no role at all', { ...VALID, roles: [] }, 'roles must name at least one role'],
    [
      'a trusted origin that is not an origin',
      { ...VALID, trustedOrigins: ['https://app.example/path'] },
      'trustedOrigins: https://app.example/path is not an origin (scheme://host[:port])',
    ],
  ])('refuses to start on %s, naming it', async (_, options, problem) => {
    const failure = start(
      IdentityModule.forRootAsync({ useFactory: () => options, migrations: 'run' }),
    );
    await expect(failure).rejects.toBeInstanceOf(IdentityOptionsError);
    await expect(failure).rejects.toHaveProperty('problems', [problem]);
  });

  it('names every problem in one error, not only the first', async () => {
    const options: IdentityModuleOptions = {
      ...withContext('notes', (c) => ({
        ...c,
        lifetime: { idleMs: 5, absoluteMs: 1 },
        cookie: { name: 'staff_session', path: 'x', sameSite: 'lax' },
      })),
      loginThrottle: { lockoutMs: 0 },
    };
    const failure = start(
      IdentityModule.forRootAsync({ useFactory: () => options, migrations: 'run' }),
    );
    await expect(failure).rejects.toThrow(
      [
        'Invalid IdentityModule options:',
        '  - contexts.notes.lifetime.idleMs must not exceed absoluteMs',
        '  - contexts.notes.cookie.path must start with / (got x)',
        '  - contexts.notes and contexts.staff share the cookie name staff_session',
        '  - loginThrottle.lockoutMs must be a positive number (got 0)',
      ].join('\n'),
    );
  });

  describe('forRootAsync forms', () => {
    it('useFactory with inject from imports', async () => {
      const module = await start(
        IdentityModule.forRootAsync({
          migrations: 'run',
          imports: [NotesConfigModule],
          inject: [NotesIdentityConfig],
          useFactory: (config: NotesIdentityConfig) => config.createIdentityOptions(),
        }),
      );
      expect(module.get(UsersService)).toBeInstanceOf(UsersService);
      await module.close();
    });

    it('useClass: the module makes the options class its own', async () => {
      const module = await start(
        IdentityModule.forRootAsync({ useClass: NotesIdentityConfig, migrations: 'run' }),
      );
      expect(module.get(UsersService)).toBeInstanceOf(UsersService);
      await module.close();
    });

    it('useExisting: a provider of an imported module', async () => {
      const module = await start(
        IdentityModule.forRootAsync({
          migrations: 'run',
          imports: [NotesConfigModule],
          useExisting: NotesIdentityConfig,
        }),
      );
      expect(module.get(UsersService)).toBeInstanceOf(UsersService);
      await module.close();
    });

    it('forRoot: global by default, local with isGlobal: false', async () => {
      @Injectable()
      class NeedsUsers {
        constructor(readonly users: UsersService) {}
      }
      Reflect.defineMetadata('design:paramtypes', [UsersService], NeedsUsers);
      @Module({ providers: [NeedsUsers] })
      class Sibling {}

      const global = await Test.createTestingModule({
        imports: [DATABASE, IdentityModule.forRoot({ ...VALID, migrations: 'run' }), Sibling],
      }).compile();
      expect(global.get(NeedsUsers).users).toBeInstanceOf(UsersService);
      await global.close();

      const local = Test.createTestingModule({
        imports: [
          DATABASE,
          IdentityModule.forRoot({ ...VALID, isGlobal: false, migrations: 'run' }),
          Sibling,
        ],
      }).compile();
      await expect(local).rejects.toThrow(/UsersService/);
    });
  });
});
