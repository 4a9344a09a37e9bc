import { UsersService, withAdvisoryLock } from '@exchanger/identity';
import { Role } from '../common/roles.js';
import { ConflictException, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { FIRST_ADMIN_GRANTS } from '../common/permissions.js';
import type { AppConfig } from '../config/app-config.js';
import { InjectIdentityDataSource } from '../database/data-sources/identity.js';

/** Reserved for documentation and testing (RFC 6761), and accepted as an email address. */
export const DEVELOPMENT_ADMIN_EMAIL = 'admin@exchanger.localhost';

/**
 * When no admin exists: creates one from ADMIN_EMAIL / ADMIN_PASSWORD, or, in development
 * only, with a generated password that is printed once on the terminal (never through the
 * log). The check and the creation are serialised across processes starting together.
 */
@Injectable()
export class FirstAdmin implements OnApplicationBootstrap {
  private readonly logger = new Logger('FirstAdmin');

  constructor(
    private readonly config: ConfigService<AppConfig, true>,
    private readonly users: UsersService,
    @InjectIdentityDataSource() private readonly identity: DataSource,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await withAdvisoryLock(this.identity, 'exchanger:first-admin', async () => {
      if (!(await this.users.anyWithRole(Role.Admin))) await this.create();
    });
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
    const user = await this.users.register(email, password, Role.Admin).catch((error: unknown) => {
      if (!(error instanceof ConflictException)) throw error;
      this.logger.error(`${email} belongs to an existing account, which is not made an admin`);
      return undefined;
    });
    if (user === undefined) return;
    for (const [context, permissions] of Object.entries(FIRST_ADMIN_GRANTS)) {
      for (const permission of permissions)
        await this.users.grant(user.id, context, permission, null);
    }
    this.logger.log(`First admin account created: ${email}`);
    if (configured === undefined) {
      process.stdout.write(
        `\n  First admin: ${email}  password: ${password}\n  (shown once; set ADMIN_EMAIL and ADMIN_PASSWORD to choose them)\n\n`,
      );
    }
  }
}
