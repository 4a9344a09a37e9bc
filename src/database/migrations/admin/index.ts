import { CreateAdminSchema1795319172260 } from './1795319172260-CreateAdminSchema.js';
import { AuditMessagesAndReports1795792049047 } from './1795792049047-AuditMessagesAndReports.js';
import { CreateJobQueue1795792100000 } from './1795792100000-CreateJobQueue.js';

/** Migrations of the admin database, oldest first. A new migration is added here. */
export const ADMIN_MIGRATIONS: Function[] = [
  CreateAdminSchema1795319172260,
  AuditMessagesAndReports1795792049047,
  CreateJobQueue1795792100000,
];
