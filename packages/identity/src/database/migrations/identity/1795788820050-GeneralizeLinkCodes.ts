import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Telegram link codes become link codes of any context, each tied to the session that
 * issued it (a code dies with that session). Codes live ten minutes and the old ones name
 * no session, so the old table is dropped rather than converted.
 */

export class GeneralizeLinkCodes1795788820050 implements MigrationInterface {
  name = 'GeneralizeLinkCodes1795788820050';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "link_codes" ("code_hash" character varying(64) NOT NULL, "user_id" uuid NOT NULL, "session_id" character varying(255) NOT NULL, "context" character varying(50) NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_b89046ddf0fd3d1f340787722ca" PRIMARY KEY ("code_hash"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_link_codes_session" ON "link_codes"  ("session_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_link_codes_expires_at" ON "link_codes"  ("expires_at") `,
    );
    await queryRunner.query(
      `ALTER TABLE "link_codes" ADD CONSTRAINT "FK_link_codes_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "link_codes" ADD CONSTRAINT "FK_link_codes_session" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(`DROP TABLE "telegram_link_codes"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "telegram_link_codes" ("code_hash" character varying(64) NOT NULL, "user_id" uuid NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a329dd4927e28d1cd96f45fac17" PRIMARY KEY ("code_hash"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_telegram_link_codes_expires_at" ON "telegram_link_codes"  ("expires_at") `,
    );
    await queryRunner.query(
      `ALTER TABLE "telegram_link_codes" ADD CONSTRAINT "FK_telegram_link_codes_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(`ALTER TABLE "link_codes" DROP CONSTRAINT "FK_link_codes_session"`);
    await queryRunner.query(`ALTER TABLE "link_codes" DROP CONSTRAINT "FK_link_codes_user"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_link_codes_expires_at"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_link_codes_session"`);
    await queryRunner.query(`DROP TABLE "link_codes"`);
  }
}
