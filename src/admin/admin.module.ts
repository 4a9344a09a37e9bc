import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppContext, CONTEXTS, Database } from '../common/app-context.js';
import { IdentityModule } from '../identity/index.js';
import { RedisModule } from '../redis/index.js';
import { ADMIN_ENTITIES } from './entities/index.js';
import { FirstAdmin } from './first-admin.js';
import { AdminUsersController } from './users/admin-users.controller.js';
import { StaffRules } from './users/staff-rules.js';

const { routePrefix, cacheNamespace } = CONTEXTS[AppContext.Admin];

/** The staff admin panel: its own database and cache namespace, staff login, user management. */
@Module({
  imports: [
    TypeOrmModule.forFeature(ADMIN_ENTITIES, Database.Admin),
    RedisModule.forFeature(cacheNamespace),
    IdentityModule.forFeature({ context: AppContext.Admin, path: `${routePrefix}/auth` }),
  ],
  controllers: [AdminUsersController],
  providers: [FirstAdmin, StaffRules],
})
export class AdminModule {}
