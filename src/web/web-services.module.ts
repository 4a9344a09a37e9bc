import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppContext, CONTEXTS, Database } from '../common/app-context.js';
import { RedisModule } from '../redis/index.js';
import { WEB_ENTITIES } from './entities/index.js';
import { WEB_OUTBOX_PROVIDER, WebOutbox } from './records/web-outbox.js';
import { WebRecords } from './records/web-records.js';
import { RatesService } from './rates/rates.service.js';

/**
 * What the web application offers other applications, without its routes: rates (set by
 * staff), read-only record streams (reports) and its outbox. A process that mounts only the
 * admin application imports this and needs the web database, not the web routes.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature(WEB_ENTITIES, Database.Web),
    RedisModule.forFeature(CONTEXTS[AppContext.Web].cacheNamespace),
  ],
  providers: [RatesService, WebRecords, WEB_OUTBOX_PROVIDER],
  exports: [RatesService, WebRecords, WebOutbox],
})
export class WebServicesModule {}
