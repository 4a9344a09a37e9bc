import {
  type AuthenticatedSession,
  ContextController,
  CurrentSession,
  IDENTITY_STORE,
  IdentityModule,
  PublicController,
  RequirePermissions,
} from '@exchanger/identity';
import { type DynamicModule, Get, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

export interface HostAppOptions {
  /** PostgreSQL for users, permissions and sessions (migrated at start). */
  readonly databaseUrl: string;
  /** Redis for the session cache; omitted, process memory. */
  readonly redisUrl?: string;
}

/** A route of the `notes` context: every route here needs a `notes` session. */
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
}

@PublicController('health')
class HealthController {
  @Get()
  live() {
    return { status: 'ok' };
  }
}

/** A NestJS app of its own that takes its users and sessions from the identity module. */
@Module({})
export class HostAppModule {
  static forRoot(options: HostAppOptions): DynamicModule {
    return {
      module: HostAppModule,
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: options.databaseUrl,
          ...IDENTITY_STORE,
          migrationsRun: true,
        }),
        IdentityModule.forRoot({
          contexts: {
            notes: {
              lifetime: { idleMs: 3_600_000, absoluteMs: 86_400_000 },
              cookie: { name: 'notes_session', path: '/notes', sameSite: 'lax' },
              defaultPermissions: ['notes:read'],
            },
          },
          // Its own Redis namespace: its keys never meet another app's on a shared server.
          namespace: 'notes',
          redis:
            options.redisUrl === undefined
              ? undefined
              : { url: options.redisUrl, commandTimeoutMs: 200 },
        }),
        IdentityModule.forFeature({ context: 'notes', path: 'notes/auth', registration: true }),
      ],
      controllers: [NotesController, HealthController],
    };
  }
}
