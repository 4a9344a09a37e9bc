import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A user can be disabled (src/identity/principals.ts then gives no principal for them). */

export class AddUserDisabledAt1795792035523 implements MigrationInterface {
  name = 'AddUserDisabledAt1795792035523';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ADD "disabled_at" TIMESTAMP WITH TIME ZONE`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "disabled_at"`);
  }
}
