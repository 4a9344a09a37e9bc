import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Settings of the web application that staff change at run time (the first: whether placing
 * an order needs a verified email address). The admin application changes them through the
 * web application's services, so its role may read and write this table, nothing more.
 */
export class AddWebSettings1796600000000 implements MigrationInterface {
  name = 'AddWebSettings1796600000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "web_settings" ("key" character varying(100) NOT NULL, "value" jsonb NOT NULL,
         "updated_by" uuid, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
         CONSTRAINT "PK_web_settings" PRIMARY KEY ("key"))`,
    );
    await queryRunner.query(`
      DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'exchanger_admin') THEN
          GRANT SELECT, INSERT, UPDATE ON web_settings TO exchanger_admin;
        END IF;
      END $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "web_settings"`);
  }
}
