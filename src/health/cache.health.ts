import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RedisConnection } from '../redis/index.js';

/**
 * Reports the cache. Redis being away does not make the service unready: requests are
 * then served from PostgreSQL, and taking every instance out of the load balancer for a
 * cache outage would turn it into a full one. So the cache is "up" either way, and
 * `connected` says whether Redis answers.
 */
@Injectable()
export class CacheHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisConnection,
  ) {}

  async check(key: string) {
    const indicator = this.indicators.check(key);
    if (!this.redis.configured) return indicator.up({ store: 'memory' });
    const connected = await this.redis.ping();
    return indicator.up({ store: 'redis', connected });
  }
}
