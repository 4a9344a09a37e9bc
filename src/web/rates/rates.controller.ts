import { AllowAnonymous } from '@exchanger/identity';
import { Get, Param } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse } from '@nestjs/swagger';
import { AppContext } from '../../common/app-context.js';
import { AppController } from '../../common/http/app-controller.js';
import { type CurrentRate, RatesService } from './rates.service.js';

@AppController(AppContext.Web, 'rates')
@AllowAnonymous()
export class RatesController {
  constructor(private readonly rates: RatesService) {}

  @Get()
  @ApiOperation({ summary: 'Current rates of every supported pair (public)' })
  all(): Promise<CurrentRate[]> {
    return this.rates.currentAll();
  }

  @Get(':from/:to')
  @ApiOperation({ summary: 'Current rate of one pair (public)' })
  @ApiParam({ name: 'from', example: 'USD' })
  @ApiParam({ name: 'to', example: 'EUR' })
  @ApiResponse({ status: 404, description: 'No current rate for this pair' })
  one(@Param('from') from: string, @Param('to') to: string): Promise<CurrentRate> {
    return this.rates.current(from, to);
  }
}
