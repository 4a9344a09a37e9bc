import { Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { AppContext, CONTEXTS } from '../../common/app-context.js';
import { InjectTtlCache, type TtlCache } from '../../redis/index.js';
import { Configurations } from '../configurations/configurations.service.js';
import type { ConfigurationOf } from '../configurations/kinds.js';
import { InjectAdminDataSource } from '../../database/data-sources/admin.js';

/** Metric series are cached 15 minutes (`cache:admin:metrics:{name}`). */
const SERIES_CACHE_MS = 15 * 60_000;
const MINUTE = 60_000;

export interface Point {
  value: number;
  tags: Record<string, string>;
  recordedAt: string;
}

type AlertRule = ConfigurationOf<'alert-rules'>['rules'][number];

/**
 * Judged besides the active alert-rules (a configured rule of the same name replaces one):
 * staff passwords being guessed from many addresses must not go unnoticed.
 */
const BUILT_IN_RULES: readonly AlertRule[] = [
  {
    name: 'staff logins slowed',
    metric: 'logins.slowed',
    tags: { context: AppContext.Admin },
    op: '>',
    threshold: 0,
    severity: 'critical',
    description:
      'A staff account failed logins from many addresses and is being slowed down: its password is being guessed',
  },
];

const COMPARE: Readonly<Record<AlertRule['op'], (value: number, threshold: number) => boolean>> = {
  '>': (value, threshold) => value > threshold,
  '>=': (value, threshold) => value >= threshold,
  '<': (value, threshold) => value < threshold,
  '<=': (value, threshold) => value <= threshold,
};

/** Reading `system_metrics`: series (through the cache) and the alert rules' verdicts. */
@Injectable()
export class MetricSeries {
  constructor(
    @InjectAdminDataSource() private readonly admin: DataSource,
    @InjectTtlCache(CONTEXTS[AppContext.Admin].cacheNamespace) private readonly cache: TtlCache,
    private readonly configurations: Configurations,
  ) {}

  /**
   * The samples of a metric in [from, to), oldest first. The range is rounded to whole
   * minutes and is part of the cache key (`metrics:{name}:{from}-{to}`), so a series lags
   * new samples by at most the cache's 15 minutes only when asked for the same range.
   */
  series(name: string, from: Date, to: Date): Promise<Point[]> {
    const start = Math.floor(from.getTime() / MINUTE) * MINUTE;
    const end = Math.ceil(to.getTime() / MINUTE) * MINUTE;
    return this.cache.wrap(`metrics:${name}:${start}-${end}`, SERIES_CACHE_MS, async () => {
      const rows: Array<{ metric_value: string; tags: Record<string, string>; recorded_at: Date }> =
        await this.admin.query(
          `SELECT metric_value, tags, recorded_at FROM system_metrics
           WHERE metric_name = $1 AND recorded_at >= $2 AND recorded_at < $3
           ORDER BY recorded_at LIMIT 10000`,
          [name, new Date(start), new Date(end)],
        );
      return rows.map((row) => ({
        value: Number(row.metric_value),
        tags: row.tags,
        recordedAt: row.recorded_at.toISOString(),
      }));
    });
  }

  /**
   * Each rule of the active alert-rules configuration, then the built-in ones it does not
   * replace, with the latest matching sample.
   */
  async alerts() {
    const configured = (await this.configurations.active('alert-rules'))?.rules ?? [];
    const builtIn = BUILT_IN_RULES.filter(
      (rule) => !configured.some((own) => own.name === rule.name),
    );
    return Promise.all(
      [
        ...configured.map((rule) => ({ rule, builtIn: false })),
        ...builtIn.map((rule) => ({ rule, builtIn: true })),
      ].map(async ({ rule, builtIn }) => {
        const rows: Array<{ metric_value: string; recorded_at: Date }> = await this.admin.query(
          `SELECT metric_value, recorded_at FROM system_metrics
           WHERE metric_name = $1 AND tags @> $2::jsonb
           ORDER BY recorded_at DESC LIMIT 1`,
          [rule.metric, JSON.stringify(rule.tags ?? {})],
        );
        const latest = rows[0];
        const value = latest === undefined ? null : Number(latest.metric_value);
        return {
          ...rule,
          builtIn,
          value,
          recordedAt: latest?.recorded_at.toISOString() ?? null,
          breached: value !== null && COMPARE[rule.op](value, rule.threshold),
        };
      }),
    );
  }
}
