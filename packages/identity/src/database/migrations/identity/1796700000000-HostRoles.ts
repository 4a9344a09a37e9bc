import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Roles are the host's (the module's `roles` option, checked when a role is set): the column
 * no longer lists them, has room for longer names and no default (registration always says).
 */
export class HostRoles1796700000000 implements MigrationInterface {
  name = 'HostRoles1796700000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" DROP CONSTRAINT IF EXISTS "CHK_users_role"`);
    await queryRunner.query(`ALTER TABLE "users" ALTER COLUMN "role" TYPE character varying(50)`);
    await queryRunner.query(`ALTER TABLE "users" ALTER COLUMN "role" DROP DEFAULT`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ALTER COLUMN "role" SET DEFAULT 'user'`);
    await queryRunner.query(`ALTER TABLE "users" ALTER COLUMN "role" TYPE character varying(20)`);
    await queryRunner.query(
      `ALTER TABLE "users" ADD CONSTRAINT "CHK_users_role" CHECK ("role" IN ('user', 'admin'))`,
    );
  }
}
