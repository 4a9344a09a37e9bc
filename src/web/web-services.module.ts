import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppContext, CONTEXTS, Database } from '../common/app-context.js';
import { RedisModule } from '../redis/index.js';
import { AnalyticsService } from './analytics/analytics.service.js';
import { WEB_ENTITIES } from './entities/index.js';
import { OrderEvents } from './orders/order-events.js';
import { OrdersService } from './orders/orders.service.js';
import { RatesService } from './rates/rates.service.js';
import { WEB_OUTBOX_PROVIDER, WebOutbox } from './records/web-outbox.js';
import { WebRecords } from './records/web-records.js';
import { WebSettings } from './settings/web-settings.js';

/** Provided and exported alike; the outbox is provided through its factory. */
const SERVICES = [
  RatesService,
  OrdersService,
  OrderEvents,
  AnalyticsService,
  WebRecords,
  WebSettings,
];

/**
 * The web application's services without its routes: rates, orders and analytics on the
 * web database and cache, read-only record streams (reports), its run-time settings, order events and its outbox (audit messages). WebModule
 * serves them over HTTP; another application (the admin, the bot) imports this module to
 * use them without mounting any web route. One instance per process.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature(WEB_ENTITIES, Database.Web),
    RedisModule.forFeature(CONTEXTS[AppContext.Web].cacheNamespace),
  ],
  providers: [...SERVICES, WEB_OUTBOX_PROVIDER],
  exports: [...SERVICES, WebOutbox],
})
export class WebServicesModule {}
