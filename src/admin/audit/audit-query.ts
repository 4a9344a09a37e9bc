import { Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { AuditLog } from '../entities/index.js';
import { InjectAdminDataSource } from '../../database/data-sources/admin.js';

export interface AuditFilter {
  readonly actor?: string;
  /** An action, or a family of them ending in `*` (`user.*`). */
  readonly action?: string;
  /** A resource type, or `type:id`. */
  readonly resource?: string;
  readonly from?: Date;
  readonly to?: Date;
  /** The id of the last row of the previous page. */
  readonly after?: string;
  readonly limit: number;
}

/** Reading the audit trail: newest first, filtered, a page at a time (keyset). */
@Injectable()
export class AuditQuery {
  constructor(@InjectAdminDataSource() private readonly admin: DataSource) {}

  find(filter: AuditFilter): Promise<AuditLog[]> {
    const query = this.admin
      .getRepository(AuditLog)
      .createQueryBuilder('log')
      .orderBy('log.created_at', 'DESC')
      .addOrderBy('log.id', 'DESC')
      .take(filter.limit);
    if (filter.actor !== undefined)
      query.andWhere('log.admin_id = :actor', { actor: filter.actor });
    if (filter.action !== undefined) {
      if (filter.action.endsWith('*')) {
        query.andWhere('log.action LIKE :prefix', {
          prefix: `${filter.action.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
        });
      } else query.andWhere('log.action = :action', { action: filter.action });
    }
    if (filter.resource !== undefined) {
      const [type, ...id] = filter.resource.split(':');
      query.andWhere('log.resource_type = :type', { type });
      if (id.length > 0) query.andWhere('log.resource_id = :id', { id: id.join(':') });
    }
    if (filter.from !== undefined) query.andWhere('log.created_at >= :from', { from: filter.from });
    if (filter.to !== undefined) query.andWhere('log.created_at < :to', { to: filter.to });
    if (filter.after !== undefined) {
      // Compared with the row itself: timestamps keep microseconds a JavaScript Date drops.
      query.andWhere(
        '(log.created_at, log.id) < (SELECT a.created_at, a.id FROM audit_logs a WHERE a.id = :after)',
        { after: filter.after },
      );
    }
    return query.getMany();
  }
}
