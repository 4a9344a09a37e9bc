import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The running bot: the inbox of Telegram updates, the outgoing queue, the link of a
 * conversation to its telegram session (one account per user), dialogue versions, and
 * what the records keep (direction, results, durations, the source of a notification).
 */

export class AddBotRuntime1795794405709 implements MigrationInterface {
  name = 'AddBotRuntime1795794405709';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "outgoing_messages" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "chat_id" bigint NOT NULL, "method" character varying(50) NOT NULL, "payload" jsonb NOT NULL, "conversation_id" uuid, "notification_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "available_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE, "attempts" integer NOT NULL DEFAULT '0', "claimed_until" TIMESTAMP WITH TIME ZONE, "in_doubt" boolean NOT NULL DEFAULT false, "outcome" character varying(20), "sent_at" TIMESTAMP WITH TIME ZONE, "telegram_message_id" bigint, "last_error" text, CONSTRAINT "PK_07b4e3d736026c72f3e61a8fb99" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_outgoing_messages_pending" ON "outgoing_messages"  ("id") WHERE "outcome" IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_outgoing_messages_pending_chat" ON "outgoing_messages"  ("chat_id", "id") WHERE "outcome" IS NULL`,
    );
    await queryRunner.query(
      `CREATE TABLE "telegram_updates" ("update_id" bigint NOT NULL, "sender_id" bigint, "payload" jsonb NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "attempts" integer NOT NULL DEFAULT '0', "available_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "processed_at" TIMESTAMP WITH TIME ZONE, "outcome" character varying(20), "last_error" text, CONSTRAINT "PK_744cdcbaa31fc014e209dd532d0" PRIMARY KEY ("update_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_telegram_updates_processed" ON "telegram_updates"  ("processed_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_telegram_updates_pending" ON "telegram_updates"  ("update_id") WHERE "processed_at" IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_telegram_updates_pending_sender" ON "telegram_updates"  ("sender_id", "update_id") WHERE "processed_at" IS NULL`,
    );
    await queryRunner.query(`ALTER TABLE "conversations" ADD "session_id" character varying(64)`);
    await queryRunner.query(
      `ALTER TABLE "conversations" ADD "notifications_enabled" boolean NOT NULL DEFAULT true`,
    );
    await queryRunner.query(
      `ALTER TABLE "conversations" ADD "blocked_at" TIMESTAMP WITH TIME ZONE`,
    );
    await queryRunner.query(
      `ALTER TABLE "conversations" ADD "version" integer NOT NULL DEFAULT '1'`,
    );
    await queryRunner.query(
      `ALTER TABLE "messages" ADD "direction" character varying(3) NOT NULL DEFAULT 'in'`,
    );
    await queryRunner.query(`ALTER TABLE "messages" ADD "update_id" bigint`);
    await queryRunner.query(
      `ALTER TABLE "notifications" ADD "source_message_id" character varying(100)`,
    );
    await queryRunner.query(
      `ALTER TABLE "notifications" ADD CONSTRAINT "UQ_7fc1af7b77b0bc932e777d4f489" UNIQUE ("source_message_id")`,
    );
    await queryRunner.query(`ALTER TABLE "notifications" ADD "outcome" character varying(20)`);
    await queryRunner.query(`ALTER TABLE "user_commands" ADD "result" character varying(50)`);
    await queryRunner.query(`ALTER TABLE "user_commands" ADD "duration_ms" integer`);
    await queryRunner.query(`ALTER TABLE "user_commands" ADD "update_id" bigint`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_conversations_user" ON "conversations"  ("user_id") WHERE "user_id" IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."UQ_conversations_user"`);
    await queryRunner.query(`ALTER TABLE "user_commands" DROP COLUMN "update_id"`);
    await queryRunner.query(`ALTER TABLE "user_commands" DROP COLUMN "duration_ms"`);
    await queryRunner.query(`ALTER TABLE "user_commands" DROP COLUMN "result"`);
    await queryRunner.query(`ALTER TABLE "notifications" DROP COLUMN "outcome"`);
    await queryRunner.query(
      `ALTER TABLE "notifications" DROP CONSTRAINT "UQ_7fc1af7b77b0bc932e777d4f489"`,
    );
    await queryRunner.query(`ALTER TABLE "notifications" DROP COLUMN "source_message_id"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "update_id"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "direction"`);
    await queryRunner.query(`ALTER TABLE "conversations" DROP COLUMN "version"`);
    await queryRunner.query(`ALTER TABLE "conversations" DROP COLUMN "blocked_at"`);
    await queryRunner.query(`ALTER TABLE "conversations" DROP COLUMN "notifications_enabled"`);
    await queryRunner.query(`ALTER TABLE "conversations" DROP COLUMN "session_id"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_telegram_updates_pending_sender"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_telegram_updates_pending"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_telegram_updates_processed"`);
    await queryRunner.query(`DROP TABLE "telegram_updates"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_outgoing_messages_pending_chat"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_outgoing_messages_pending"`);
    await queryRunner.query(`DROP TABLE "outgoing_messages"`);
  }
}
