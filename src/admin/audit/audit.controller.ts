import { RequirePermissions } from '@exchanger/identity';
import { Get, Query } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Matches } from 'class-validator';
import { AppContext } from '../../common/app-context.js';
import { AppController } from '../../common/http/app-controller.js';
import { Permission } from '../../common/permissions.js';
import type { AuditLog } from '../entities/index.js';
import { AuditQuery } from './audit-query.js';
import { OptionalDate, PageLimit } from '../../common/http/query-fields.js';

export class AuditQueryDto {
  @IsOptional()
  @IsUUID('all', { message: 'actor must be a UUID' })
  actor?: string;

  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9_.]{1,100}\*?$/, {
    message: 'action must be an action name, or a prefix ending in *',
  })
  action?: string;

  @IsOptional()
  @IsString()
  @Matches(/^[a-z_]{1,100}(:.{1,255})?$/, { message: 'resource must be a type, or type:id' })
  resource?: string;

  @OptionalDate('from')
  from?: Date;

  @OptionalDate('to')
  to?: Date;

  @IsOptional()
  @IsUUID('all', { message: 'cursor must be the nextCursor of a previous page' })
  cursor?: string;

  @PageLimit(200, 50)
  limit?: number;
}

function view(log: AuditLog) {
  return {
    id: log.id,
    actor: log.adminId,
    action: log.action,
    resourceType: log.resourceType,
    resourceId: log.resourceId,
    oldValues: log.oldValues,
    newValues: log.newValues,
    ipAddress: log.ipAddress,
    userAgent: log.userAgent,
    requestId: log.requestId,
    source: log.source,
    at: log.createdAt.toISOString(),
  };
}

@AppController(AppContext.Admin, 'audit')
@RequirePermissions(Permission.AuditRead)
export class AuditController {
  constructor(private readonly audit: AuditQuery) {}

  @Get()
  @ApiOperation({ summary: 'The staff audit trail, newest first (filters, keyset pages)' })
  async list(@Query() query: AuditQueryDto) {
    const limit = query.limit ?? 50;
    const rows = await this.audit.find({
      actor: query.actor,
      action: query.action,
      resource: query.resource,
      from: query.from,
      to: query.to,
      after: query.cursor,
      limit,
    });
    return {
      items: rows.map(view),
      nextCursor: rows.length === limit ? (rows[rows.length - 1]?.id ?? null) : null,
    };
  }
}
