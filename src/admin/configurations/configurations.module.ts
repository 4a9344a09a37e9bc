import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { StepUpModule } from '../step-up/step-up.module.js';
import { ConfigurationsController } from './configurations.controller.js';
import { Configurations } from './configurations.service.js';

/** Versioned configuration documents: alert rules, rate bounds. */
@Module({
  imports: [AuditModule, StepUpModule],
  controllers: [ConfigurationsController],
  providers: [Configurations],
  exports: [Configurations],
})
export class ConfigurationsModule {}
