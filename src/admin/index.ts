/** The admin folder's door. */
export { AdminModule } from './admin.module.js';
export { ADMIN_ENTITIES } from './entities/index.js';
export { DEVELOPMENT_ADMIN_EMAIL } from './first-admin.js';
