import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Link codes are capped per user and all of a user's codes are voided by a password
 * change: both filter on user_id. Built CONCURRENTLY, outside a transaction, so that a live
 * table stays writable.
 */
export class IndexLinkCodesByUser1796420150000 implements MigrationInterface {
  name = 'IndexLinkCodesByUser1796420150000';
  transaction = false as const;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS "IDX_link_codes_user" ON "link_codes" ("user_id")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "public"."IDX_link_codes_user"`);
  }
}
