import { Module } from '@nestjs/common';
import { AppContext, CONTEXTS } from '../../common/app-context.js';
import { RedisModule } from '../../redis/index.js';
import { ConfigurationsModule } from '../configurations/configurations.module.js';
import { SettingsModule } from '../settings/settings.module.js';
import { AdminMetricsController } from './admin-metrics.controller.js';
import { MetricSeries } from './metric-series.js';
import { MetricsRecorder } from './metrics-recorder.js';

/** The recorder of system_metrics, and the panel's series and alerts. */
@Module({
  imports: [
    RedisModule.forFeature(CONTEXTS[AppContext.Admin].cacheNamespace),
    SettingsModule,
    ConfigurationsModule,
  ],
  controllers: [AdminMetricsController],
  providers: [MetricsRecorder, MetricSeries],
  exports: [MetricsRecorder],
})
export class AdminMetricsModule {}
