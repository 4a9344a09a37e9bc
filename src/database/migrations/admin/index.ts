import { CreateAdminSchema1795319172260 } from './1795319172260-CreateAdminSchema.js';

/** Migrations of the admin database, oldest first. A new migration is added here. */
export const ADMIN_MIGRATIONS: Function[] = [CreateAdminSchema1795319172260];
