/**
 * The web folder's door: the module, the rates the admin application sets, and the
 * services (without routes) and order events the bot uses.
 */
export { WebModule } from './web.module.js';
export { RatesService, type CurrentRate } from './rates/rates.service.js';
export { WebServicesModule } from './web-services.module.js';
export { OrdersService, type OrderView } from './orders/orders.service.js';
export { ORDER_STATUS_TOPIC, type OrderStatusChanged } from './orders/order-events.js';
export { OrderStatus } from './entities/index.js';
export { canonical as canonicalAmount, convert as convertAmount } from './money.js';
export { WEB_ENTITIES } from './entities/index.js';
