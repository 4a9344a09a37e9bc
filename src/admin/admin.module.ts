import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppContext, Database } from '../common/app-context.js';
import { IdentityModule } from '../identity/index.js';
import { cacheNamespace } from '../redis/namespaces.js';
import { RedisModule } from '../redis/redis.module.js';
import { ADMIN_ENTITIES } from './entities/index.js';

/** The staff admin panel: its own database, its own cache namespace, its auth routes. */
@Module({
  imports: [
    TypeOrmModule.forFeature(ADMIN_ENTITIES, Database.Admin),
    RedisModule.forFeature(cacheNamespace(AppContext.Admin)),
    IdentityModule.routesFor(AppContext.Admin),
  ],
})
export class AdminModule {}
