import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The admin application reaches the web database through the web application's services,
 * with the least it needs (docs/admin.md): read the rates, orders and ledger (reports),
 * add rates, and use the outbox (the audit message of a rate, and relaying it). Granted to
 * the compose stack's admin role (docker/postgres/init-databases.sh) where it exists.
 */
export class GrantStaffAccess1795792200000 implements MigrationInterface {
  name = 'GrantStaffAccess1795792200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'exchanger_admin') THEN
          GRANT SELECT ON exchange_rates, orders, transactions TO exchanger_admin;
          GRANT INSERT ON exchange_rates TO exchanger_admin;
          GRANT SELECT, INSERT, UPDATE, DELETE ON outbox TO exchanger_admin;
        END IF;
      END $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'exchanger_admin') THEN
          REVOKE ALL ON exchange_rates, orders, transactions, outbox FROM exchanger_admin;
        END IF;
      END $$`);
  }
}
