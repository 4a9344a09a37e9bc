import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Outbox messages get a random id for receivers to take each once (src/database/outbox.entity.ts). */
export class AddOutboxMessageId1795800000000 implements MigrationInterface {
  name = 'AddOutboxMessageId1795800000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "outbox" ADD "message_id" uuid NOT NULL DEFAULT gen_random_uuid()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "outbox" DROP COLUMN "message_id"`);
  }
}
