import { SecurityEventsService } from '@exchanger/identity';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { AppContext, CONTEXTS } from '../../common/app-context.js';
import { readFromReplica } from '../../database/replica-reads.js';
import { InjectTtlCache, type TtlCache } from '../../redis/index.js';
import { WebCacheKeys } from '../cache-keys.js';
import { InjectWebDataSource } from '../../database/data-sources/web.js';

export type AnalyticsEventType = 'order.created' | 'order.cancelled' | 'order.paid' | 'login';

/** Aggregates are cached 15 minutes; a little staleness is what they are for. */
const AGGREGATE_CACHE_MS = 15 * 60_000;
const DAILY_WINDOW_DAYS = 30;

export interface DailyCount {
  day: string;
  eventType: string;
  count: number;
}

/** Business events of the web application (`analytics_events`) and their daily counts. */
@Injectable()
export class AnalyticsService implements OnModuleInit {
  constructor(
    @InjectWebDataSource() private readonly dataSource: DataSource,
    @InjectTtlCache(CONTEXTS[AppContext.Web].cacheNamespace) private readonly cache: TtlCache,
    private readonly securityEvents: SecurityEventsService,
  ) {}

  onModuleInit(): void {
    this.securityEvents.onRecorded(async (event) => {
      if (event.type === 'login.succeeded' && event.context === AppContext.Web) {
        await this.record(this.dataSource.manager, 'login', event.userId, {});
      }
    });
  }

  /** Records an event, in the caller's transaction so that it exists exactly when the change does. */
  async record(
    manager: EntityManager,
    type: AnalyticsEventType,
    userId: string | null,
    data: Record<string, string | number>,
  ): Promise<void> {
    await manager.query(
      'INSERT INTO analytics_events (user_id, event_type, event_data) VALUES ($1, $2, $3)',
      [userId, type, data],
    );
  }

  daily(): Promise<DailyCount[]> {
    // Counts may lag a replica's replay by a moment: they are cached for 15 minutes anyway.
    return this.cache.wrap(WebCacheKeys.analytics('daily'), AGGREGATE_CACHE_MS, async () => {
      const rows = await readFromReplica<{ day: string; event_type: string; count: number }>(
        this.dataSource,
        `SELECT to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day,
                event_type, count(*)::int AS count
         FROM analytics_events WHERE created_at > now() - make_interval(days => $1)
         GROUP BY 1, 2 ORDER BY 1 DESC, 2`,
        [DAILY_WINDOW_DAYS],
      );
      return rows.map((row) => ({ day: row.day, eventType: row.event_type, count: row.count }));
    });
  }
}
