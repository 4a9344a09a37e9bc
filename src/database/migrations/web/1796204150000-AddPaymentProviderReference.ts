import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A confirmed payment keeps the payment provider's reference; one reference, one payment. */
export class AddPaymentProviderReference1796204150000 implements MigrationInterface {
  name = 'AddPaymentProviderReference1796204150000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "payments" ADD "provider_reference" character varying(255)`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_payments_provider_reference" ON "payments" ("provider_reference")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "UQ_payments_provider_reference"`);
    await queryRunner.query(`ALTER TABLE "payments" DROP COLUMN "provider_reference"`);
  }
}
