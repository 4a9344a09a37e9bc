import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AddTelegramLinkCodes1795320461338 implements MigrationInterface {
  name = 'AddTelegramLinkCodes1795320461338';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "telegram_link_codes" ("code_hash" character varying(64) NOT NULL, "user_id" uuid NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a329dd4927e28d1cd96f45fac17" PRIMARY KEY ("code_hash"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_telegram_link_codes_expires_at" ON "telegram_link_codes"  ("expires_at") `,
    );
    await queryRunner.query(
      `ALTER TABLE "telegram_link_codes" ADD CONSTRAINT "FK_telegram_link_codes_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "telegram_link_codes" DROP CONSTRAINT "FK_telegram_link_codes_user"`,
    );
    await queryRunner.query(`DROP INDEX "public"."IDX_telegram_link_codes_expires_at"`);
    await queryRunner.query(`DROP TABLE "telegram_link_codes"`);
  }
}
