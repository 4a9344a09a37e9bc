import { Module } from '@nestjs/common';
import { SettingsModule } from '../settings/settings.module.js';
import { StepUp } from './step-up.js';
import { StepUpController } from './step-up.controller.js';
import { StepUpGuard } from './step-up.guard.js';

/** A recent password entry for dangerous actions. */
@Module({
  imports: [SettingsModule],
  controllers: [StepUpController],
  providers: [StepUp, StepUpGuard],
  exports: [StepUp, StepUpGuard],
})
export class StepUpModule {}
