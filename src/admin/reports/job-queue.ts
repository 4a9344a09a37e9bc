import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Pool } from 'pg';
import { type Db, PgBoss, type SendOptions, type WorkHandler } from 'pg-boss';
import type { DataSource, EntityManager } from 'typeorm';
import { JOB_QUEUE_SCHEMA } from '../../database/job-queue-schema.js';
import { InjectAdminDataSource } from '../../database/data-sources/admin.js';

/**
 * The admin database's durable job queue (pg-boss), on the admin DataSource's pool: its
 * schema is built by a migration, so it starts without migrating and the application role
 * needs no right to create schemas. Jobs survive a crash: a job whose worker stops sending
 * heartbeats is retried by another process, or fails when out of retries.
 */
@Injectable()
export class JobQueue implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('JobQueue');
  readonly boss: PgBoss;

  constructor(@InjectAdminDataSource() dataSource: DataSource) {
    const pool = (dataSource.driver as unknown as { master: Pool }).master;
    this.boss = new PgBoss({
      db: { executeSql: (text, values) => pool.query(text, values) },
      schema: JOB_QUEUE_SCHEMA,
      migrate: false,
      createSchema: false,
    });
    this.boss.on('error', (error: unknown) => this.logger.warn(`job queue: ${String(error)}`));
  }

  async onModuleInit(): Promise<void> {
    await this.boss.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.boss.stop({ graceful: true, timeout: 5_000 });
  }

  /** Enqueues a job inside the caller's transaction: it exists exactly if the transaction commits. */
  send(manager: EntityManager, queue: string, data: object, options: SendOptions = {}) {
    return this.boss.send(queue, data, { ...options, db: transactionDb(manager) });
  }

  work<T>(queue: string, handler: WorkHandler<T>) {
    return this.boss.work<T>(queue, { batchSize: 1, pollingIntervalSeconds: 1 }, handler);
  }
}

function transactionDb(manager: EntityManager): Db {
  const runner = manager.queryRunner;
  if (runner === undefined) throw new Error('send needs a transaction');
  return {
    executeSql: async (text, values) => {
      const result = await runner.query(text, values, true);
      return { rows: result.records as unknown[] };
    },
  };
}
