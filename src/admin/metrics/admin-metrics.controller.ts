import { RequirePermissions } from '@exchanger/identity';
import { Get, Param, Query } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { AppContext } from '../../common/app-context.js';
import { AppController } from '../../common/http/app-controller.js';
import { Permission } from '../../common/permissions.js';
import { MetricSeries } from './metric-series.js';
import { OptionalDate } from '../../common/http/query-fields.js';

export class RangeQuery {
  @OptionalDate('from')
  from?: Date;

  @OptionalDate('to')
  to?: Date;
}

const DAY = 86_400_000;

@AppController(AppContext.Admin, 'metrics')
@RequirePermissions(Permission.MetricsRead)
export class AdminMetricsController {
  constructor(private readonly series: MetricSeries) {}

  @Get('alerts')
  @ApiOperation({
    summary: 'The active alert rules, each with its latest sample and whether it is breached',
  })
  alerts() {
    return this.series.alerts();
  }

  @Get(':name')
  @ApiOperation({ summary: 'A recorded metric in a range (default: the last 24 hours)' })
  get(@Param('name') name: string, @Query() query: RangeQuery) {
    const to = query.to ?? new Date();
    const from = query.from ?? new Date(to.getTime() - DAY);
    return this.series.series(name, from, to);
  }
}
