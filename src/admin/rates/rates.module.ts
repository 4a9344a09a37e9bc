import { Module } from '@nestjs/common';
import { WebServicesModule } from '../../web/index.js';
import { AuditModule } from '../audit/audit.module.js';
import { ConfigurationsModule } from '../configurations/configurations.module.js';
import { StepUpModule } from '../step-up/step-up.module.js';
import { AdminRatesController } from './admin-rates.controller.js';

/** Staff setting rates, through the web application's services. */
@Module({
  imports: [WebServicesModule, AuditModule, ConfigurationsModule, StepUpModule],
  controllers: [AdminRatesController],
})
export class AdminRatesModule {}
