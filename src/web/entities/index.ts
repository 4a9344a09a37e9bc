import { AnalyticsEvent } from './analytics-event.entity.js';
import { ExchangeRate } from './exchange-rate.entity.js';
import { LedgerEntry } from './ledger-entry.entity.js';
import { Order } from './order.entity.js';
import { Payment } from './payment.entity.js';
import { WebSetting } from './web-setting.entity.js';

export { AnalyticsEvent, ExchangeRate, LedgerEntry, Order, Payment, WebSetting };
export { LedgerEntryType } from './ledger-entry.entity.js';
export { OrderStatus } from './order.entity.js';
export { PaymentStatus } from './payment.entity.js';

export const WEB_ENTITIES = [ExchangeRate, Order, Payment, LedgerEntry, AnalyticsEvent, WebSetting];
