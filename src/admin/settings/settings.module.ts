import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AdminSettings } from './admin-settings.js';

/** Typed settings staff change at run time: the store every admin module reads. */
@Module({
  imports: [AuditModule],
  providers: [AdminSettings],
  exports: [AdminSettings],
})
export class SettingsModule {}
