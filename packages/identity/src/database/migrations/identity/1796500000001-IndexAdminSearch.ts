import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What staff search and reports filter and order on: users by creation time (the newest
 * first, reports by period) and by role, sessions by creation time (reports by period), and
 * permissions by name (who holds one). Built CONCURRENTLY, outside a transaction, so that
 * live tables stay writable.
 */
export class IndexAdminSearch1796500000001 implements MigrationInterface {
  name = 'IndexAdminSearch1796500000001';
  transaction = false as const;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS "IDX_users_created_at" ON "users" ("created_at", "id")`,
    );
    await queryRunner.query(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS "IDX_users_role_created_at" ON "users" ("role", "created_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS "IDX_sessions_created_at" ON "sessions" ("created_at", "id")`,
    );
    await queryRunner.query(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS "IDX_user_permissions_permission" ON "user_permissions" ("permission", "application_context")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const index of [
      'IDX_user_permissions_permission',
      'IDX_sessions_created_at',
      'IDX_users_role_created_at',
      'IDX_users_created_at',
    ]) {
      await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "public"."${index}"`);
    }
  }
}
