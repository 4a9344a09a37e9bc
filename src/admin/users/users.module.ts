import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { StepUpModule } from '../step-up/step-up.module.js';
import { AdminMailController } from './admin-mail.controller.js';
import { AdminUsersController } from './admin-users.controller.js';
import { StaffRules } from './staff-rules.js';

/** Staff management of users and their sessions, and a view of their account mail. */
@Module({
  imports: [AuditModule, StepUpModule],
  controllers: [AdminUsersController, AdminMailController],
  providers: [StaffRules],
})
export class AdminUsersModule {}
