import { type DynamicModule, Inject, Module, type OnModuleInit } from '@nestjs/common';
import type { Database } from '../common/app-context.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsRegistry } from './metrics-registry.js';
import { METRICS_TOKEN, MetricsTokenGuard } from './metrics-token.guard.js';
import { METRICS_DATABASES, ProcessMetrics } from './process-metrics.js';

export interface MetricsOptions {
  /** The bearer token of GET /metrics; undefined turns the endpoint off (404). */
  readonly token: string | undefined;
  /** The databases this process holds a pool for. */
  readonly databases: readonly Database[];
}

/**
 * Prometheus metrics of this process, on prom-client, at GET /metrics. Global: any module
 * may add its own metrics to the MetricsRegistry.
 */
@Module({})
export class MetricsModule implements OnModuleInit {
  constructor(
    private readonly process: ProcessMetrics,
    @Inject(METRICS_DATABASES) private readonly databases: readonly Database[],
  ) {}

  static forRoot(options: MetricsOptions): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      controllers: [MetricsController],
      providers: [
        { provide: MetricsRegistry, useFactory: () => new MetricsRegistry() },
        { provide: METRICS_TOKEN, useValue: options.token },
        { provide: METRICS_DATABASES, useValue: options.databases },
        MetricsTokenGuard,
        ProcessMetrics,
      ],
      exports: [MetricsRegistry],
    };
  }

  onModuleInit(): void {
    this.process.pools(this.databases);
  }
}
