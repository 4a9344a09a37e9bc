import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The durable queue of mail (written with its cause, delivered by the mail sender), and the
 * one-time tokens mailed to users (password reset, email verification), kept only hashed.
 */
export class AddMailAndAccountTokens1796500000000 implements MigrationInterface {
  name = 'AddMailAndAccountTokens1796500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "mail_outbox" ("id" BIGSERIAL NOT NULL, "recipient" character varying(320) NOT NULL, "subject" character varying(300) NOT NULL, "text_body" text NOT NULL, "html_body" text NOT NULL, "kind" character varying(50) NOT NULL, "user_id" uuid, "status" character varying(10) NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT 0, "available_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "sent_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_mail_outbox" PRIMARY KEY ("id"), CONSTRAINT "CHK_mail_outbox_status" CHECK ("status" IN ('pending', 'sent', 'failed')))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_mail_outbox_due" ON "mail_outbox" ("available_at") WHERE "status" = 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_mail_outbox_status_created" ON "mail_outbox" ("status", "created_at")`,
    );
    await queryRunner.query(
      `CREATE TABLE "account_tokens" ("token_hash" character varying(64) NOT NULL, "user_id" uuid NOT NULL, "purpose" character varying(30) NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_account_tokens" PRIMARY KEY ("token_hash"), CONSTRAINT "FK_account_tokens_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE)`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_account_tokens_user_purpose" ON "account_tokens" ("user_id", "purpose")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "account_tokens"`);
    await queryRunner.query(`DROP TABLE "mail_outbox"`);
  }
}
