import { Module } from '@nestjs/common';
import { StepUpModule } from '../step-up/step-up.module.js';
import { SettingsController } from './settings.controller.js';
import { SettingsModule } from './settings.module.js';

/**
 * The routes that change settings. Apart from the store because changing a setting needs
 * step-up, and step-up reads its window from the store.
 */
@Module({
  imports: [SettingsModule, StepUpModule],
  controllers: [SettingsController],
})
export class SettingsRoutesModule {}
