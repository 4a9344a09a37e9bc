/** The web folder's door: the module, and what other applications use of it. */
export { WebModule } from './web.module.js';
export { WebServicesModule } from './web-services.module.js';
export { RatesService, type CurrentRate, type SetRateOptions } from './rates/rates.service.js';
export { WebRecords, type WebRecordRow } from './records/web-records.js';
export { WebOutbox } from './records/web-outbox.js';
export { WEB_ENTITIES } from './entities/index.js';
