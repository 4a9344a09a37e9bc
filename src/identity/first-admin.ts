import { ConflictException, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AppContext, Database } from '../common/app-context.js';
import type { AppConfig } from '../config/app-config.js';
import { UserRole } from './entities/index.js';
import { FIRST_ADMIN_PERMISSIONS } from './permissions.js';
import { UsersService } from './users.service.js';

/** Serialises the check-and-create across processes starting together. */
const FIRST_ADMIN_LOCK = 7_412_358_002;
const DEVELOPMENT_ADMIN_EMAIL = 'admin@localhost';

/**
 * When no admin exists (and the admin application is served): creates one from
 * ADMIN_EMAIL / ADMIN_PASSWORD, or, in development only, with a generated password that
 * is printed once on the terminal (never through the log).
 */
@Injectable()
export class FirstAdmin implements OnApplicationBootstrap {
  private readonly logger = new Logger('FirstAdmin');

  constructor(
    private readonly config: ConfigService<AppConfig, true>,
    private readonly users: UsersService,
    @InjectDataSource(Database.Identity) private readonly dataSource: DataSource,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.get('contexts', { infer: true }).includes(AppContext.Admin)) return;
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [FIRST_ADMIN_LOCK]);
      const rows = (await runner.query(
        `SELECT 1 FROM users WHERE role = 'admin' LIMIT 1`,
      )) as unknown[];
      if (rows.length === 0) await this.create();
    } finally {
      await runner
        .query('SELECT pg_advisory_unlock($1)', [FIRST_ADMIN_LOCK])
        .catch(() => undefined);
      await runner.release();
    }
  }

  private async create(): Promise<void> {
    const configured = this.config.get('firstAdmin', { infer: true });
    const development = this.config.get('env', { infer: true }) === 'development';
    if (configured === undefined && !development) {
      this.logger.warn('No admin account exists: set ADMIN_EMAIL and ADMIN_PASSWORD to create one');
      return;
    }
    const email = configured?.email ?? DEVELOPMENT_ADMIN_EMAIL;
    const password = configured?.password ?? randomBytes(12).toString('base64url');
    const user = await this.users
      .register(email, password, UserRole.Admin)
      .catch((error: unknown) => {
        if (!(error instanceof ConflictException)) throw error;
        this.logger.error(`${email} belongs to an existing account, which is not made an admin`);
        return undefined;
      });
    if (user === undefined) return;
    for (const permission of FIRST_ADMIN_PERMISSIONS) {
      await this.users.grant(user.id, AppContext.Admin, permission, null);
    }
    this.logger.log(`First admin account created: ${email}`);
    if (configured === undefined) {
      process.stdout.write(
        `\n  First admin: ${email}  password: ${password}\n  (shown once; set ADMIN_EMAIL and ADMIN_PASSWORD to choose them)\n\n`,
      );
    }
  }
}
