import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateBotSchema1795319174888 implements MigrationInterface {
  name = 'CreateBotSchema1795319174888';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "bot_state" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "key" character varying(255) NOT NULL, "value" jsonb NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_bc36fbde514b8c9a51c1be15bc1" UNIQUE ("key"), CONSTRAINT "PK_fdd736e5b3ba6208291987186a8" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "conversations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "telegram_user_id" bigint NOT NULL, "user_id" uuid, "state" character varying(100) NOT NULL DEFAULT 'idle', "context" jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_874dfe94df170cb0d96561b17fe" UNIQUE ("telegram_user_id"), CONSTRAINT "PK_ee34f4f7ced4ec8681f26bf04ef" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "messages" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "conversation_id" uuid NOT NULL, "message_id" bigint NOT NULL, "message_type" character varying(50) NOT NULL, "content" jsonb NOT NULL, "sent_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_18325f38ae6de43878487eff986" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_messages_conversation_sent" ON "messages"  ("conversation_id", "sent_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "notifications" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "telegram_user_id" bigint, "message" text NOT NULL, "notification_type" character varying(100) NOT NULL, "sent" boolean NOT NULL DEFAULT false, "sent_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6a72c3c0f683f6462415e653c3a" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_notifications_sent_created" ON "notifications"  ("sent", "created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "user_commands" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "telegram_user_id" bigint NOT NULL, "command" character varying(255) NOT NULL, "parameters" jsonb, "executed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_145dfaddc251c80b1ba26cd5e50" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_user_commands_telegram_user_executed" ON "user_commands"  ("telegram_user_id", "executed_at") `,
    );
    await queryRunner.query(
      `ALTER TABLE "messages" ADD CONSTRAINT "FK_messages_conversation" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "messages" DROP CONSTRAINT "FK_messages_conversation"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_user_commands_telegram_user_executed"`);
    await queryRunner.query(`DROP TABLE "user_commands"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_notifications_sent_created"`);
    await queryRunner.query(`DROP TABLE "notifications"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_messages_conversation_sent"`);
    await queryRunner.query(`DROP TABLE "messages"`);
    await queryRunner.query(`DROP TABLE "conversations"`);
    await queryRunner.query(`DROP TABLE "bot_state"`);
  }
}
