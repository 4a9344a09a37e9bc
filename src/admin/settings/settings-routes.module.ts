import { Module } from '@nestjs/common';
import { WebServicesModule } from '../../web/index.js';
import { AuditModule } from '../audit/audit.module.js';
import { StepUpModule } from '../step-up/step-up.module.js';
import { SettingsController } from './settings.controller.js';
import { SettingsModule } from './settings.module.js';

/**
 * The routes that change settings (the admin application's and, through its services, the
 * web application's). Apart from the store because changing a setting needs step-up, and
 * step-up reads its window from the store.
 */
@Module({
  imports: [SettingsModule, StepUpModule, AuditModule, WebServicesModule],
  controllers: [SettingsController],
})
export class SettingsRoutesModule {}
