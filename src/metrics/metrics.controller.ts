import { PublicController } from '@exchanger/identity';
import { Get, Header, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation } from '@nestjs/swagger';
import { MetricsRegistry } from './metrics-registry.js';
import { MetricsTokenGuard } from './metrics-token.guard.js';

/** Prometheus scrapes this; it needs no session, only the metrics token. */
@PublicController('metrics')
export class MetricsController {
  constructor(private readonly registry: MetricsRegistry) {}

  @Get()
  @UseGuards(MetricsTokenGuard)
  @ApiBearerAuth()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Prometheus metrics (Authorization: Bearer METRICS_TOKEN)' })
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
