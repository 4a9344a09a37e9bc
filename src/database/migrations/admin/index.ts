import { CreateAdminSchema1795319172260 } from './1795319172260-CreateAdminSchema.js';
import { AuditMessagesAndReports1795792049047 } from './1795792049047-AuditMessagesAndReports.js';
import { CreateJobQueue1795792100000 } from './1795792100000-CreateJobQueue.js';
import { AuditArrivalAndOrigin1796500000000 } from './1796500000000-AuditArrivalAndOrigin.js';

/** Migrations of the admin database, oldest first. A new migration is added here. */
export const ADMIN_MIGRATIONS: Function[] = [
  CreateAdminSchema1795319172260,
  AuditMessagesAndReports1795792049047,
  CreateJobQueue1795792100000,
  AuditArrivalAndOrigin1796500000000,
];
