import { PublicController } from '@exchanger/identity';
import { Get, Inject, type OnModuleInit, Res, ServiceUnavailableException } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Database } from '../common/app-context.js';
import { CacheHealthIndicator } from './cache.health.js';

export const HEALTH_DATABASES = Symbol('HEALTH_DATABASES');

@ApiTags('health')
@PublicController('health')
export class HealthController implements OnModuleInit {
  private dataSources: ReadonlyArray<[Database, DataSource]> = [];

  constructor(
    private readonly health: HealthCheckService,
    private readonly databases: TypeOrmHealthIndicator,
    private readonly cache: CacheHealthIndicator,
    @Inject(HEALTH_DATABASES) private readonly names: readonly Database[],
    private readonly moduleRef: ModuleRef,
  ) {}

  /** DataSources are built by async factories: look them up once they exist. */
  onModuleInit(): void {
    this.dataSources = this.names.map((name) => [
      name,
      this.moduleRef.get<DataSource>(getDataSourceToken(name), { strict: false }),
    ]);
  }

  @Get()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: every database of this process answers; cache state' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    try {
      return await this.health.check([
        ...this.dataSources.map(
          ([name, connection]) =>
            () =>
              this.databases.pingCheck(`database:${name}`, { connection, timeout: 1_000 }),
        ),
        () => this.cache.check('cache'),
      ]);
    } catch (error) {
      // Not ready: answer 503 with the per-component report, not a generic error body.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      void reply.status(503);
      return error.getResponse();
    }
  }
}
