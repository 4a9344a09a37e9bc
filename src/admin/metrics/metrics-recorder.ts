import {
  errorText,
  BackgroundJob,
  SecurityEventsService,
  SessionService,
} from '@exchanger/identity';
import { Injectable, Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { RedisConnection } from '../../redis/index.js';
import { AdminSettings } from '../settings/admin-settings.js';
import { sampleRedis } from './redis-sample.js';
import { InjectAdminDataSource } from '../../database/data-sources/admin.js';

/** How often each admin process checks whether a sample is due (the interval is a setting). */
const TICK_MS = 5_000;
/** The metric whose latest time tells when the last sample was taken. */
const MARKER = 'sessions.active';

export interface Sample {
  readonly name: string;
  readonly value: number;
  readonly tags?: Record<string, string>;
}

/**
 * Samples what the admin process can measure with its own credentials into
 * `system_metrics`, every `metrics.sampleIntervalSeconds`: active sessions per context,
 * logins, lock-outs and slowdowns since the last sample, Redis memory, hit ratio and keys per
 * namespace, pending cache invalidations. Several admin processes take one sample per
 * interval between them (a transaction-scoped advisory lock, and the time of the last one).
 */
@Injectable()
export class MetricsRecorder extends BackgroundJob {
  private readonly logger = new Logger('MetricsRecorder');
  private running: Promise<boolean> | undefined;

  constructor(
    @InjectAdminDataSource() private readonly admin: DataSource,
    private readonly sessions: SessionService,
    private readonly events: SecurityEventsService,
    private readonly redis: RedisConnection,
    private readonly settings: AdminSettings,
  ) {
    super();
    this.runs({
      name: 'MetricsRecorder',
      round: async () => {
        await this.sampleIfDue();
      },
      intervalMs: TICK_MS,
      pauseFirst: true,
    });
  }

  override async onModuleDestroy(): Promise<void> {
    await super.onModuleDestroy();
    await this.running?.catch(() => undefined);
  }

  /** Takes a sample unless one was taken within the interval (or `force`). True if it did. */
  sampleIfDue(force = false): Promise<boolean> {
    this.running ??= this.sample(force)
      .catch((error: unknown) => {
        this.logger.warn(`sample failed: ${errorText(error)}`);
        return false;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private sample(force: boolean): Promise<boolean> {
    const intervalMs = this.settings.get('metrics.sampleIntervalSeconds') * 1_000;
    return this.admin.transaction(async (manager) => {
      const [lock] = await manager.query<Array<{ locked: boolean }>>(
        "SELECT pg_try_advisory_xact_lock(hashtextextended('exchanger:metrics-recorder', 0)) AS locked",
      );
      if (lock?.locked !== true) return false;
      const [last] = await manager.query<Array<{ at: Date | null }>>(
        'SELECT max(recorded_at) AS at FROM system_metrics WHERE metric_name = $1',
        [MARKER],
      );
      const lastAt = last?.at ?? null;
      // A little early is still due: ticks do not line up with the interval.
      if (!force && lastAt !== null && Date.now() - lastAt.getTime() < intervalMs - TICK_MS / 2)
        return false;
      const since = lastAt ?? new Date(Date.now() - intervalMs);
      await this.write(manager, await this.measure(since));
      await manager.query(
        `DELETE FROM system_metrics WHERE recorded_at < now() - make_interval(days => $1)`,
        [this.settings.get('metrics.retentionDays')],
      );
      return true;
    });
  }

  private async measure(since: Date): Promise<Sample[]> {
    const samples: Sample[] = [];
    const active = await this.sessions.countActiveByContext();
    for (const context of this.sessions.contexts) {
      samples.push({ name: MARKER, value: active[context] ?? 0, tags: { context } });
    }
    const counts = await this.events.countsSince(since);
    for (const [type, name] of [
      ['login.succeeded', 'logins.succeeded'],
      ['login.failed', 'logins.failed'],
      ['login.locked', 'logins.locked'],
      ['login.slowed', 'logins.slowed'],
    ] as const) {
      for (const context of this.sessions.contexts) {
        const count = counts.find((row) => row.type === type && row.context === context)?.count;
        samples.push({ name, value: count ?? 0, tags: { context } });
      }
    }
    const { invalidationsPending } = await this.sessions.metrics();
    samples.push({ name: 'invalidations.pending', value: invalidationsPending });
    const redis = await sampleRedis(this.redis).catch((error: unknown) => {
      this.logger.warn(`Redis not sampled: ${errorText(error)}`);
      return undefined;
    });
    if (redis !== undefined) {
      samples.push({ name: 'redis.memory_bytes', value: redis.usedMemoryBytes });
      if (redis.hitRatio !== null) samples.push({ name: 'cache.hit_ratio', value: redis.hitRatio });
      for (const [namespace, count] of Object.entries(redis.keysByNamespace)) {
        samples.push({
          name: 'redis.keys',
          value: count,
          tags: { namespace, complete: String(redis.complete) },
        });
      }
    }
    return samples;
  }

  private async write(manager: EntityManager, samples: readonly Sample[]): Promise<void> {
    await manager.query(
      `INSERT INTO system_metrics (metric_name, metric_value, tags, recorded_at)
       SELECT name, value, tags, now() FROM unnest($1::varchar[], $2::numeric[], $3::jsonb[]) AS s(name, value, tags)`,
      [
        samples.map((sample) => sample.name),
        samples.map((sample) => sample.value.toFixed(8)),
        samples.map((sample) => JSON.stringify(sample.tags ?? {})),
      ],
    );
  }
}
