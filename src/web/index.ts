/** The web folder's door: the module, and the rates the admin application sets. */
export { WebModule } from './web.module.js';
export { RatesService, type CurrentRate } from './rates/rates.service.js';
export { WEB_ENTITIES } from './entities/index.js';
