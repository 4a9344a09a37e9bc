/**
 * The web folder's door: the module, and what other applications use of it — the rates,
 * settings and record streams the admin application reads and sets, the services (without routes)
 * and order events the bot uses.
 */
export { WebModule } from './web.module.js';
export { WebServicesModule } from './web-services.module.js';
export { RatesService, type CurrentRate, type SetRateOptions } from './rates/rates.service.js';
export { WebRecords, type WebRecordRow } from './records/web-records.js';
export { WebOutbox } from './records/web-outbox.js';
export {
  EMAIL_NOT_VERIFIED,
  OrdersService,
  type OrderView,
  RateChanged,
} from './orders/orders.service.js';
export { isWebSettingKey, WEB_SETTINGS, WebSettings } from './settings/web-settings.js';
export { type OrderEvent, OrderEvents, type OrderStatusChanged } from './orders/order-events.js';
export { OrderStatus } from './entities/index.js';
export { canonical as canonicalAmount, convert as convertAmount } from './money.js';
export { WEB_ENTITIES } from './entities/index.js';
