import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Database } from '../../common/app-context.js';
import { IDENTITY_OUTBOX_PROVIDER } from '../../database/identity-outbox.js';
import { WebServicesModule } from '../../web/index.js';
import { ADMIN_ENTITIES } from '../entities/index.js';
import { AuditController } from './audit.controller.js';
import { AuditQuery } from './audit-query.js';
import { AuditTrail } from './audit-trail.js';

/** The staff audit trail: writing it exactly once per action, and reading it. */
@Module({
  imports: [TypeOrmModule.forFeature(ADMIN_ENTITIES, Database.Admin), WebServicesModule],
  controllers: [AuditController],
  providers: [AuditTrail, AuditQuery, IDENTITY_OUTBOX_PROVIDER],
  exports: [AuditTrail],
})
export class AuditModule {}
