/** The web folder's public surface: the module, and the rates the admin application sets. */
export { WebModule } from './web.module.js';
export { RatesService, type CurrentRate } from './rates/rates.service.js';
