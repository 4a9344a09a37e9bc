import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppContext, Database } from '../common/app-context.js';
import { IdentityModule } from '../identity/index.js';
import { cacheNamespace } from '../redis/namespaces.js';
import { RedisModule } from '../redis/redis.module.js';
import { AnalyticsController } from './analytics/analytics.controller.js';
import { AnalyticsService } from './analytics/analytics.service.js';
import { WEB_ENTITIES } from './entities/index.js';
import { OrdersController } from './orders/orders.controller.js';
import { OrdersService } from './orders/orders.service.js';
import { ProviderController, ProviderSecretGuard } from './orders/provider.controller.js';
import { RatesController } from './rates/rates.controller.js';
import { RatesService } from './rates/rates.service.js';

/** The customers' web application: rates, orders, payments, the ledger, analytics; its own database and cache. */
@Module({
  imports: [
    TypeOrmModule.forFeature(WEB_ENTITIES, Database.Web),
    RedisModule.forFeature(cacheNamespace(AppContext.Web)),
    IdentityModule,
    IdentityModule.routesFor(AppContext.Web),
  ],
  controllers: [RatesController, OrdersController, ProviderController, AnalyticsController],
  providers: [RatesService, OrdersService, AnalyticsService, ProviderSecretGuard],
  exports: [RatesService],
})
export class WebModule {}
