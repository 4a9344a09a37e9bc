import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { StepUpModule } from '../step-up/step-up.module.js';
import { AdminUsersController } from './admin-users.controller.js';
import { StaffRules } from './staff-rules.js';

/** Staff management of users and their sessions. */
@Module({
  imports: [AuditModule, StepUpModule],
  controllers: [AdminUsersController],
  providers: [StaffRules],
})
export class AdminUsersModule {}
