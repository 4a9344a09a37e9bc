import { SecurityEventsService, type SessionMetrics, SessionService } from '@exchanger/identity';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { collectDefaultMetrics, Counter } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { Database } from '../common/app-context.js';
import { RedisConnection } from '../redis/index.js';
import { recordHttpDurations } from './http-metrics.js';
import { MetricsRegistry } from './metrics-registry.js';
import { METRICS_TOKEN } from './metrics-token.guard.js';

export const METRICS_DATABASES = Symbol('METRICS_DATABASES');

const LOGIN_OUTCOMES: Readonly<Record<string, string>> = {
  'login.succeeded': 'ok',
  'login.failed': 'failed',
  'login.locked': 'locked',
  'login.slowed': 'slowed',
};

/**
 * What every process measures about itself: HTTP durations, the session cache, Redis
 * commands, database pools, logins, and the Node.js runtime. Counters that already exist
 * elsewhere (the session store's, Redis's) are read at scrape time, not duplicated.
 */
@Injectable()
export class ProcessMetrics implements OnModuleInit {
  constructor(
    private readonly registry: MetricsRegistry,
    private readonly adapter: HttpAdapterHost,
    private readonly modules: ModuleRef,
    private readonly sessions: SessionService,
    private readonly redis: RedisConnection,
    private readonly events: SecurityEventsService,
    @Inject(METRICS_TOKEN) private readonly token: string | undefined,
  ) {}

  onModuleInit(): void {
    // Off (no METRICS_TOKEN): nothing is measured, so the request path pays nothing.
    if (this.token === undefined) return;
    collectDefaultMetrics({ register: this.registry });
    recordHttpDurations(this.adapter.httpAdapter.getInstance<FastifyInstance>(), this.registry);
    this.sessionCache();
    this.redisCommands();
    this.logins();
  }

  /** Pool use per database (the process's own DataSources). */
  pools(databases: readonly Database[]): void {
    if (this.token === undefined) return;
    const pools = databases.map((database) => ({
      database,
      pool: (
        this.modules.get<DataSource>(getDataSourceToken(database), { strict: false })
          .driver as unknown as {
          master: Pool;
        }
      ).master,
    }));
    this.registry.gauge(
      'db_pool_connections',
      'Database pool connections by state',
      ['database', 'state'],
      (gauge) => {
        for (const { database, pool } of pools) {
          gauge.set({ database, state: 'total' }, pool.totalCount);
          gauge.set({ database, state: 'idle' }, pool.idleCount);
          gauge.set({ database, state: 'waiting' }, pool.waitingCount);
        }
      },
    );
  }

  private sessionCache(): void {
    const pending = this.registry.gauge(
      'session_invalidations_pending',
      'Cache invalidations recorded and not yet applied to Redis (all processes)',
      [],
    );
    const counted = { cacheHits: 0, cacheMisses: 0, fallbacks: 0 };
    const sessions = this.sessions;
    new Counter({
      name: 'session_validations_total',
      help: 'Session validations by how the cache answered (hit, miss, postgres_fallback)',
      labelNames: ['result'],
      registers: [this.registry],
      // The session store counts; each scrape adds what happened since the last one.
      async collect() {
        const now: SessionMetrics = await sessions.metrics();
        this.inc({ result: 'hit' }, now.cacheHits - counted.cacheHits);
        this.inc({ result: 'miss' }, now.cacheMisses - counted.cacheMisses);
        this.inc({ result: 'postgres_fallback' }, now.fallbacks - counted.fallbacks);
        counted.cacheHits = now.cacheHits;
        counted.cacheMisses = now.cacheMisses;
        counted.fallbacks = now.fallbacks;
        pending.set(now.invalidationsPending);
      },
    });
  }

  private redisCommands(): void {
    const durations = this.registry.histogram(
      'redis_command_duration_seconds',
      'Redis command duration (bounded by REDIS_COMMAND_TIMEOUT_MS), by outcome',
      ['outcome'],
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    );
    const ok = durations.labels('ok');
    const failed = durations.labels('failed');
    this.redis.onCommand((seconds, didFail) => (didFail ? failed : ok).observe(seconds));
    this.registry.gauge(
      'redis_timeouts',
      'Redis commands abandoned for taking too long, since start',
      [],
      (gauge) => {
        gauge.set(this.redis.counters.timeouts);
      },
    );
    this.registry.gauge(
      'redis_errors',
      'Redis failures (errors, timeouts, lost connections), since start',
      [],
      (gauge) => {
        gauge.set(this.redis.counters.errors);
      },
    );
  }

  private logins(): void {
    const logins = this.registry.counter(
      'logins_total',
      'Password logins by context and outcome (ok, failed, locked, slowed)',
      ['context', 'outcome'],
    );
    this.events.onRecorded((event) => {
      const outcome = LOGIN_OUTCOMES[event.type];
      if (outcome !== undefined) logins.inc({ context: event.context ?? 'none', outcome });
      return Promise.resolve();
    });
  }
}
