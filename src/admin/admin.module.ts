import { IdentityModule } from '@exchanger/identity';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppContext, CONTEXTS, Database } from '../common/app-context.js';
import { RedisModule } from '../redis/index.js';
import { AuditModule } from './audit/audit.module.js';
import { ConfigurationsModule } from './configurations/configurations.module.js';
import { ADMIN_ENTITIES } from './entities/index.js';
import { FirstAdmin } from './first-admin.js';
import { AdminMetricsModule } from './metrics/admin-metrics.module.js';
import { AdminRatesModule } from './rates/rates.module.js';
import { ReportsModule } from './reports/reports.module.js';
import { SettingsRoutesModule } from './settings/settings-routes.module.js';
import { StepUpModule } from './step-up/step-up.module.js';
import { AdminUsersModule } from './users/users.module.js';

const { routePrefix, cacheNamespace } = CONTEXTS[AppContext.Admin];

/**
 * The staff admin panel: its own database and cache namespace, staff login, and one module
 * per concern (users, rates, audit, step-up, settings, configurations, metrics, reports).
 */
@Module({
  imports: [
    TypeOrmModule.forFeature(ADMIN_ENTITIES, Database.Admin),
    RedisModule.forFeature(cacheNamespace),
    IdentityModule.forFeature({ context: AppContext.Admin, path: `${routePrefix}/auth` }),
    AuditModule,
    SettingsRoutesModule,
    StepUpModule,
    AdminUsersModule,
    ConfigurationsModule,
    AdminRatesModule,
    AdminMetricsModule,
    ReportsModule,
  ],
  providers: [FirstAdmin],
})
export class AdminModule {}
