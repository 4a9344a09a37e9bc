import { RequirePermissions } from '@exchanger/identity';
import { Get } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { AppContext } from '../../common/app-context.js';
import { AppController } from '../../common/http/app-controller.js';
import { Permission } from '../../common/permissions.js';
import { AnalyticsService, type DailyCount } from './analytics.service.js';

@AppController(AppContext.Web, 'analytics')
@RequirePermissions(Permission.AnalyticsRead)
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get('daily')
  @ApiOperation({ summary: 'Events per day and type over the last 30 days (cached 15 minutes)' })
  daily(): Promise<DailyCount[]> {
    return this.analytics.daily();
  }
}
