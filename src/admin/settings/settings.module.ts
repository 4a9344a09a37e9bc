import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AdminSettings } from './admin-settings.js';
import { SettingsController } from './settings.controller.js';

/** Typed settings staff change at run time. */
@Module({
  imports: [AuditModule],
  controllers: [SettingsController],
  providers: [AdminSettings],
  exports: [AdminSettings],
})
export class SettingsModule {}
