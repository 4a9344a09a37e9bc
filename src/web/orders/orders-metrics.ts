import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { MetricsRegistry } from '../../metrics/index.js';
import { InjectWebDataSource } from '../../database/data-sources/web.js';

/** A count over every order: computed at most this often, however often Prometheus scrapes. */
const COUNT_EVERY_MS = 30_000;

/** `orders{status}`: how many orders are in each status, for /metrics. */
@Injectable()
export class OrdersMetrics implements OnModuleInit {
  private counted: { at: number; rows: Array<{ status: string; count: number }> } | undefined;

  constructor(
    private readonly registry: MetricsRegistry,
    @InjectWebDataSource() private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    this.registry.gauge('orders', 'Orders by status', ['status'], async (gauge) => {
      for (const { status, count } of await this.counts()) gauge.set({ status }, count);
    });
  }

  private async counts(): Promise<Array<{ status: string; count: number }>> {
    if (this.counted === undefined || Date.now() - this.counted.at > COUNT_EVERY_MS) {
      const rows: Array<{ status: string; count: number }> = await this.dataSource.query(
        'SELECT status, count(*)::int AS count FROM orders GROUP BY status',
      );
      this.counted = { at: Date.now(), rows };
    }
    return this.counted.rows;
  }
}
