import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { Database } from '../common/app-context.js';
import { CacheHealthIndicator } from './cache.health.js';
import { HEALTH_DATABASES, HealthController } from './health.controller.js';

@Module({})
export class HealthModule {
  static forRoot(databases: readonly Database[]): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [CacheHealthIndicator, { provide: HEALTH_DATABASES, useValue: databases }],
    };
  }
}
