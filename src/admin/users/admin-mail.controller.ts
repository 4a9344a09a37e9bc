import { type MailStatus, OutgoingMails, RequirePermissions } from '@exchanger/identity';
import { Get, Query } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { AppContext } from '../../common/app-context.js';
import { AppController } from '../../common/http/app-controller.js';
import { PageLimit } from '../../common/http/query-fields.js';
import { Permission } from '../../common/permissions.js';

const STATUSES: readonly MailStatus[] = ['pending', 'sent', 'failed'];

export class MailQuery {
  @IsOptional()
  @IsIn(STATUSES, { message: `status must be one of ${STATUSES.join(', ')}` })
  status?: MailStatus;

  @PageLimit(200, 50)
  limit?: number;
}

/**
 * The account mail the identity store sent or tries to send, for staff who look after users:
 * what failed for good (a relay's refusal) and what waits, with the relay's last answer.
 * Never a body: it may hold a one-time link.
 */
@AppController(AppContext.Admin, 'mail')
@RequirePermissions(Permission.UsersManage)
export class AdminMailController {
  constructor(private readonly mails: OutgoingMails) {}

  @Get()
  @ApiOperation({ summary: 'Account mail by status (default failed), newest first' })
  async list(@Query() query: MailQuery) {
    const found = await this.mails.list(query.status ?? 'failed', query.limit ?? 50);
    return found.map((mail) => ({
      ...mail,
      createdAt: mail.createdAt.toISOString(),
      sentAt: mail.sentAt?.toISOString() ?? null,
    }));
  }
}
