import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Revoking all of a user's sessions across contexts, and the cascade when a user is
 * deleted, filter sessions on user_id alone; (application_context, user_id) cannot serve
 * that, and at a million sessions the statement read the whole index (~1,500 pages for
 * 100 rows). Built CONCURRENTLY, outside a transaction, so that a live table stays writable.
 */
export class IndexSessionsByUser1795331792601 implements MigrationInterface {
  name = 'IndexSessionsByUser1795331792601';
  transaction = false as const;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS "IDX_sessions_user" ON "sessions" ("user_id")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "public"."IDX_sessions_user"`);
  }
}
