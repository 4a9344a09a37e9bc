import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AddOrderAmountsAndIdempotency1795323365767 implements MigrationInterface {
  name = 'AddOrderAmountsAndIdempotency1795323365767';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Orders placed before this migration get their counter amount computed once.
    await queryRunner.query(`ALTER TABLE "orders" ADD "counter_amount" numeric(18,8)`);
    await queryRunner.query(
      `UPDATE "orders" SET "counter_amount" = round("amount" * "exchange_rate", 8)`,
    );
    await queryRunner.query(`ALTER TABLE "orders" ALTER COLUMN "counter_amount" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "orders" ADD "idempotency_key" character varying(255)`);
    await queryRunner.query(`ALTER TABLE "orders" ADD "request_hash" character varying(64)`);
    await queryRunner.query(`ALTER TABLE "payments" ADD "confirmed_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(
      `ALTER TABLE "exchange_rates" ADD CONSTRAINT "CHK_exchange_rates_rate" CHECK ("rate" > 0 AND "from_currency" <> "to_currency")`,
    );
    await queryRunner.query(
      `ALTER TABLE "orders" ADD CONSTRAINT "CHK_orders_status" CHECK ("status" IN ('pending', 'paid', 'completed', 'cancelled', 'failed'))`,
    );
    await queryRunner.query(
      `ALTER TABLE "orders" ADD CONSTRAINT "CHK_orders_amount_positive" CHECK ("amount" > 0 AND "exchange_rate" > 0 AND "counter_amount" > 0)`,
    );
    await queryRunner.query(
      `ALTER TABLE "payments" ADD CONSTRAINT "CHK_payments_status" CHECK ("status" IN ('pending', 'completed', 'failed'))`,
    );
    await queryRunner.query(
      `ALTER TABLE "orders" ADD CONSTRAINT "UQ_orders_user_idempotency_key" UNIQUE ("user_id", "idempotency_key")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "orders" DROP CONSTRAINT "UQ_orders_user_idempotency_key"`,
    );
    await queryRunner.query(`ALTER TABLE "payments" DROP CONSTRAINT "CHK_payments_status"`);
    await queryRunner.query(`ALTER TABLE "orders" DROP CONSTRAINT "CHK_orders_amount_positive"`);
    await queryRunner.query(`ALTER TABLE "orders" DROP CONSTRAINT "CHK_orders_status"`);
    await queryRunner.query(
      `ALTER TABLE "exchange_rates" DROP CONSTRAINT "CHK_exchange_rates_rate"`,
    );
    await queryRunner.query(`ALTER TABLE "payments" DROP COLUMN "confirmed_at"`);
    await queryRunner.query(`ALTER TABLE "orders" DROP COLUMN "request_hash"`);
    await queryRunner.query(`ALTER TABLE "orders" DROP COLUMN "idempotency_key"`);
    await queryRunner.query(`ALTER TABLE "orders" DROP COLUMN "counter_amount"`);
  }
}
