import { Body, Get, HttpCode, HttpStatus, Param, Post, StreamableFile } from '@nestjs/common';
import { ApiOperation, ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn } from 'class-validator';
import { AppContext } from '../../common/app-context.js';
import { AppController, RequirePermissions } from '../../common/http/route-context.js';
import { UUID_PARAM } from '../../common/http/uuid-param.js';
import { Permission } from '../../common/permissions.js';
import { CurrentActor } from '../audit/actor.decorator.js';
import type { Actor } from '../audit/audit-entry.js';
import { REPORT_TYPES, type ReportType } from './report-types.js';
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
  constructor(private readonly reports: ReportsService) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Request a CSV report; it is generated in the background' })
  request(@Body() body: ReportRequestDto, @CurrentActor() actor: Actor) {
    return this.reports.request(body.type, body.from, body.to, actor);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A report: status, row count, size and checksum' })
  get(@Param('id', UUID_PARAM) id: string) {
    return this.reports.get(id);
  }

  @Get(':id/download')
  @ApiOperation({ summary: 'The CSV (RFC 4180, formula cells neutralised), streamed' })
  async download(@Param('id', UUID_PARAM) id: string): Promise<StreamableFile> {
    const { report, content } = await this.reports.download(id);
    return new StreamableFile(content, {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="${report.type}-${report.id}.csv"`,
      length: report.sizeBytes ?? undefined,
    });
  }
}
