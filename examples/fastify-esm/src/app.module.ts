import {
  AuthenticationGuard,
  type AuthenticatedSession,
  ContextController,
  CurrentSession,
  CurrentSessionIfAny,
  IDENTITY_STORE,
  IdentityModule,
  OptionalSession,
  PermissionsGuard,
  PublicController,
  RequirePermissions,
} from '@exchanger/identity';
import { type DynamicModule, Get, Module, UseGuards } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

export interface AppOptions {
  /** PostgreSQL for users, permissions and sessions; the identity migrations run at start. */
  readonly databaseUrl: string;
  /** Redis for the session cache; omitted, process memory. */
  readonly redisUrl?: string;
  /** Redis key prefix, so this app's keys never meet another's on a shared server. */
  readonly namespace?: string;
  /**
   * true (default): the identity guards run on every route, and every controller declares
   * its context. false: no global guards; controllers opt in with `@UseGuards`.
   */
  readonly globalGuards?: boolean;
}

/** Every route here needs a `notes` session; the global guards check it. */
@ContextController('notes', 'notes')
class NotesController {
  @Get()
  list(@CurrentSession() { user }: AuthenticatedSession) {
    return { owner: user.email, notes: [] };
  }

  @Get('archive')
  @RequirePermissions('notes:archive')
  archive() {
    return { archived: [] };
  }

  /** For everyone: a greeting by name when signed in. */
  @Get('welcome')
  @OptionalSession()
  welcome(@CurrentSessionIfAny() session: AuthenticatedSession | undefined) {
    return { greeting: session === undefined ? 'Hello, guest' : `Hello, ${session.user.email}` };
  }
}

/** The same routes where the guards are not global: this controller applies them itself. */
@ContextController('notes', 'notes')
@UseGuards(AuthenticationGuard, PermissionsGuard)
class GuardedNotesController extends NotesController {}

@PublicController('health')
class HealthController {
  @Get()
  live() {
    return { status: 'ok' };
  }
}

@Module({})
export class AppModule {
  static forRoot(options: AppOptions): DynamicModule {
    const globalGuards = options.globalGuards ?? true;
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: options.databaseUrl,
          ...IDENTITY_STORE,
        }),
        IdentityModule.forRoot({
          migrations: 'run',
          contexts: {
            notes: {
              lifetime: { idleMs: 3_600_000, absoluteMs: 86_400_000 },
              cookie: { name: 'notes_session', path: '/notes', sameSite: 'lax' },
              defaultPermissions: ['notes:read'],
            },
          },
          namespace: options.namespace ?? 'notes',
          redis:
            options.redisUrl === undefined
              ? undefined
              : { url: options.redisUrl, commandTimeoutMs: 200 },
          globalGuards,
        }),
        IdentityModule.forFeature({ context: 'notes', path: 'notes/auth', registration: true }),
      ],
      controllers: [globalGuards ? NotesController : GuardedNotesController, HealthController],
    };
  }
}
