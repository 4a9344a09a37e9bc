import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateWebSchema1795319166978 implements MigrationInterface {
  name = 'CreateWebSchema1795319166978';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "analytics_events" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid, "event_type" character varying(100) NOT NULL, "event_data" jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5d643d67a09b55653e98616f421" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_analytics_events_created" ON "analytics_events"  ("created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "exchange_rates" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "from_currency" character varying(10) NOT NULL, "to_currency" character varying(10) NOT NULL, "rate" numeric(18,8) NOT NULL, "valid_from" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "valid_until" TIMESTAMP WITH TIME ZONE, CONSTRAINT "UQ_exchange_rates_pair_valid_from" UNIQUE ("from_currency", "to_currency", "valid_from"), CONSTRAINT "PK_33a614bad9e61956079d817ebe2" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "orders" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "from_currency" character varying(10) NOT NULL, "to_currency" character varying(10) NOT NULL, "amount" numeric(18,8) NOT NULL, "exchange_rate" numeric(18,8) NOT NULL, "status" character varying(50) NOT NULL DEFAULT 'pending', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_710e2d4957aa5878dfe94e4ac2f" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_orders_user_created" ON "orders"  ("user_id", "created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "payments" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "order_id" uuid NOT NULL, "user_id" uuid NOT NULL, "payment_method" character varying(100) NOT NULL, "amount" numeric(18,8) NOT NULL, "status" character varying(50) NOT NULL DEFAULT 'pending', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_197ab7af18c93fbb0c9b28b4a59" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_payments_order" ON "payments"  ("order_id") `);
    await queryRunner.query(
      `CREATE TABLE "transactions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "order_id" uuid NOT NULL, "payment_id" uuid, "user_id" uuid NOT NULL, "entry_type" character varying(30) NOT NULL, "currency" character varying(10) NOT NULL, "amount" numeric(18,8) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_transactions_order_entry_type" UNIQUE ("order_id", "entry_type"), CONSTRAINT "PK_a219afd8dd77ed80f5a862f1db9" PRIMARY KEY ("id"))`,
    );
    // The ledger: one row per money movement. Amounts are positive and the entry type gives
    // the direction, so a sum per type and currency reads as the order's money story; each
    // movement happens at most once per order (the unique key), so a retried or concurrent
    // confirmation cannot book twice; and rows are never changed or removed (the trigger),
    // so the history cannot drift from what happened.
    await queryRunner.query(
      `ALTER TABLE "transactions" ADD CONSTRAINT "CHK_transactions_amount_positive" CHECK ("amount" > 0)`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_transactions_user_created" ON "transactions"  ("user_id", "created_at") `,
    );
    await queryRunner.query(
      `ALTER TABLE "payments" ADD CONSTRAINT "FK_payments_order" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "transactions" ADD CONSTRAINT "FK_transactions_order" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "transactions" ADD CONSTRAINT "FK_transactions_payment" FOREIGN KEY ("payment_id") REFERENCES "payments"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(`
      CREATE FUNCTION "refuse_ledger_change"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'transactions is append-only';
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "transactions_append_only" BEFORE UPDATE OR DELETE ON "transactions" FOR EACH ROW EXECUTE FUNCTION "refuse_ledger_change"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "transactions_no_truncate" BEFORE TRUNCATE ON "transactions" FOR EACH STATEMENT EXECUTE FUNCTION "refuse_ledger_change"()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "transactions_no_truncate" ON "transactions"`);
    await queryRunner.query(`DROP TRIGGER "transactions_append_only" ON "transactions"`);
    await queryRunner.query(`DROP FUNCTION "refuse_ledger_change"()`);
    await queryRunner.query(`ALTER TABLE "transactions" DROP CONSTRAINT "FK_transactions_payment"`);
    await queryRunner.query(`ALTER TABLE "transactions" DROP CONSTRAINT "FK_transactions_order"`);
    await queryRunner.query(`ALTER TABLE "payments" DROP CONSTRAINT "FK_payments_order"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_transactions_user_created"`);
    await queryRunner.query(`DROP TABLE "transactions"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_payments_order"`);
    await queryRunner.query(`DROP TABLE "payments"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_orders_user_created"`);
    await queryRunner.query(`DROP TABLE "orders"`);
    await queryRunner.query(`DROP TABLE "exchange_rates"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_analytics_events_created"`);
    await queryRunner.query(`DROP TABLE "analytics_events"`);
  }
}
