import { RequirePermissions } from '@exchanger/identity';
import { Body, ConflictException, Get, Param, Put, Query, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsOptional, IsString, Matches } from 'class-validator';
import { Decimal } from 'decimal.js';
import { AppContext } from '../../common/app-context.js';
import { AppController } from '../../common/http/app-controller.js';
import { Permission } from '../../common/permissions.js';
import { type CurrentRate, RatesService } from '../../web/index.js';
import { CurrentActor } from '../audit/actor.decorator.js';
import { type Actor, auditEntry } from '../audit/audit-entry.js';
import { AuditTrail } from '../audit/audit-trail.js';
import { Configurations } from '../configurations/configurations.service.js';
import { StepUpGuard } from '../step-up/step-up.guard.js';
import { OptionalDate, PageLimit } from '../../common/http/query-fields.js';

export class SetRateDto {
  @ApiProperty({ example: '0.92', description: 'A positive decimal string, at most 8 decimals' })
  @IsString({ message: 'rate must be a decimal string' })
  @Matches(/^(?!0+(\.0+)?$)\d{1,10}(\.\d{1,8})?$/, {
    message:
      'rate must be a positive decimal string with at most 10 integer and 8 fractional digits',
  })
  rate!: string;

  @ApiPropertyOptional({ description: 'Default: now' })
  @OptionalDate('validFrom')
  validFrom?: Date;

  @ApiPropertyOptional({ description: 'Default: until a later rate starts' })
  @OptionalDate('validUntil')
  validUntil?: Date;
}

export class HistoryQuery {
  @PageLimit(200, 50)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'cursor must be the nextCursor of a previous page' })
  cursor?: Date;
}

function rateValues(rate: CurrentRate | undefined): Record<string, unknown> | null {
  return rate === undefined
    ? null
    : { rate: rate.rate, validFrom: rate.validFrom, validUntil: rate.validUntil };
}

/**
 * Rates set by staff, through the web application's rates service: the admin never opens
 * the web database itself. The audit message commits in the rate's own transaction.
 */
@AppController(AppContext.Admin, 'rates')
@RequirePermissions(Permission.RatesManage)
export class AdminRatesController {
  constructor(
    private readonly rates: RatesService,
    private readonly audit: AuditTrail,
    private readonly configurations: Configurations,
  ) {}

  @Put(':from/:to')
  @UseGuards(StepUpGuard)
  @ApiOperation({
    summary: 'Set the rate of a pair; the next quote and order use it',
    description:
      '409 when the round trip with the opposite rate returns 1 or more, or the rate is outside the active rate-bounds configuration.',
  })
  async set(
    @Param('from') from: string,
    @Param('to') to: string,
    @Body() body: SetRateDto,
    @CurrentActor() actor: Actor,
  ): Promise<CurrentRate> {
    this.rates.checkPair(from, to);
    await this.checkBounds(from, to, body.rate);
    return this.rates.setRate(from, to, body.rate, body.validFrom, {
      validUntil: body.validUntil,
      alongWith: (manager, rate, previous) =>
        this.audit.inWeb(
          manager,
          auditEntry(actor, {
            action: 'rate.set',
            resourceType: 'rate',
            resourceId: `${from}/${to}`,
            oldValues: rateValues(previous),
            newValues: rateValues(rate),
          }),
        ),
    });
  }

  @Get(':from/:to/history')
  @ApiOperation({ summary: 'Every rate of the pair, newest start first (keyset pages)' })
  async history(
    @Param('from') from: string,
    @Param('to') to: string,
    @Query() query: HistoryQuery,
  ) {
    const limit = query.limit ?? 50;
    const items = await this.rates.history(from, to, { limit, before: query.cursor });
    return {
      items,
      nextCursor: items.length === limit ? (items[items.length - 1]?.validFrom ?? null) : null,
    };
  }

  private async checkBounds(from: string, to: string, rate: string): Promise<void> {
    const bounds = (await this.configurations.active('rate-bounds'))?.pairs[`${from}/${to}`];
    if (bounds === undefined) return;
    const value = new Decimal(rate);
    if (value.lt(bounds.min) || value.gt(bounds.max)) {
      throw new ConflictException(
        `${from}/${to} at ${rate} is outside its bounds ${bounds.min}–${bounds.max} (configuration rate-bounds)`,
      );
    }
  }
}
