import { IdentityModule } from '@exchanger/identity';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppContext, CONTEXTS, Database } from '../common/app-context.js';
import type { AppConfig } from '../config/app-config.js';
import { RedisModule } from '../redis/index.js';
import { ProfileController } from './account/profile.controller.js';
import { TelegramLinkController } from './account/telegram-link.controller.js';
import { AnalyticsController } from './analytics/analytics.controller.js';
import { WEB_ENTITIES } from './entities/index.js';
import { OrdersController } from './orders/orders.controller.js';
import { OrdersMetrics } from './orders/orders-metrics.js';
import { ProviderController } from './orders/provider.controller.js';
import { PROVIDER_SECRET, ProviderSignatureGuard } from './orders/provider-signature.guard.js';
import { RatesController } from './rates/rates.controller.js';
import { WebServicesModule } from './web-services.module.js';

const { routePrefix, cacheNamespace } = CONTEXTS[AppContext.Web];

/** The customers' web application: rates, orders, payments, the ledger, analytics; its own database and cache. */
@Module({
  imports: [
    TypeOrmModule.forFeature(WEB_ENTITIES, Database.Web),
    RedisModule.forFeature(cacheNamespace),
    WebServicesModule,
    IdentityModule.forFeature({
      context: AppContext.Web,
      path: `${routePrefix}/auth`,
      registration: true,
      passwordReset: true,
      emailVerification: true,
    }),
  ],
  controllers: [
    RatesController,
    OrdersController,
    ProviderController,
    AnalyticsController,
    TelegramLinkController,
    ProfileController,
  ],
  providers: [
    OrdersMetrics,
    ProviderSignatureGuard,
    {
      provide: PROVIDER_SECRET,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) =>
        config.get('exchange', { infer: true }).providerSecret,
    },
  ],
  exports: [WebServicesModule],
})
export class WebModule {}
