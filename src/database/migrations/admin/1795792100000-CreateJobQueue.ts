import type { MigrationInterface, QueryRunner } from 'typeorm';
import { JOB_QUEUE_SCHEMA, jobQueueConstructionSql } from '../../job-queue-schema.js';

/**
 * The durable job queue of reports (pg-boss), built here so that the application role needs
 * no right to create schemas: pg-boss then starts with `migrate: false`.
 */
export class CreateJobQueue1795792100000 implements MigrationInterface {
  name = 'CreateJobQueue1795792100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(jobQueueConstructionSql());
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP SCHEMA "${JOB_QUEUE_SCHEMA}" CASCADE`);
  }
}
