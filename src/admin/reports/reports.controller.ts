import { type AuthenticatedSession, CurrentSession, RequirePermissions } from '@exchanger/identity';
import { Body, Get, HttpCode, HttpStatus, Param, Post, StreamableFile } from '@nestjs/common';
import { ApiOperation, ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn } from 'class-validator';
import { AppContext } from '../../common/app-context.js';
import { AppController } from '../../common/http/app-controller.js';
import { UUID_PARAM } from '../../common/http/uuid-param.js';
import { Permission } from '../../common/permissions.js';
import { CurrentActor } from '../audit/actor.decorator.js';
import type { Actor } from '../audit/audit-entry.js';
import { StepUp } from '../step-up/step-up.js';
import { PERSONAL_REPORTS, REPORT_TYPES, type ReportType } from './report-types.js';
import { ReportsService } from './reports.service.js';

export class ReportRequestDto {
  @ApiProperty({ enum: REPORT_TYPES })
  @IsIn(REPORT_TYPES, { message: `type must be one of ${REPORT_TYPES.join(', ')}` })
  type!: ReportType;

  @ApiProperty({ description: 'Start of the range (inclusive), by creation time' })
  @Type(() => Date)
  @IsDate({ message: 'from must be a date' })
  from!: Date;

  @ApiProperty({ description: 'End of the range (exclusive)' })
  @Type(() => Date)
  @IsDate({ message: 'to must be a date' })
  to!: Date;
}

@AppController(AppContext.Admin, 'reports')
@RequirePermissions(Permission.ReportsManage)
export class ReportsController {
  constructor(
    private readonly reports: ReportsService,
    private readonly stepUp: StepUp,
  ) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary:
      'Request a CSV report; it is generated in the background (users and sessions need step-up)',
  })
  async request(
    @Body() body: ReportRequestDto,
    @CurrentSession() current: AuthenticatedSession,
    @CurrentActor() actor: Actor,
  ) {
    if (PERSONAL_REPORTS.has(body.type)) await this.stepUp.require(current);
    return this.reports.request(body.type, body.from, body.to, actor);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A report: status, row count, size and checksum' })
  get(@Param('id', UUID_PARAM) id: string) {
    return this.reports.get(id);
  }

  @Get(':id/download')
  @ApiOperation({
    summary:
      'The CSV (RFC 4180, formula cells neutralised), streamed; audited, and users and sessions need step-up',
  })
  async download(
    @Param('id', UUID_PARAM) id: string,
    @CurrentSession() current: AuthenticatedSession,
    @CurrentActor() actor: Actor,
  ): Promise<StreamableFile> {
    const report = await this.reports.downloadable(id);
    if (PERSONAL_REPORTS.has(report.type)) await this.stepUp.require(current);
    const content = await this.reports.download(report, actor);
    return new StreamableFile(content, {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="${report.type}-${report.id}.csv"`,
      length: report.sizeBytes ?? undefined,
    });
  }
}
