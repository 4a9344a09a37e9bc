import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audit rows carry the message they came from (exactly once per message) and the request
 * id; they may have no actor (a failed login of an unknown account); the table is
 * append-only. Reports gain a status, their size and checksum, and chunks for their content.
 */

export class AuditMessagesAndReports1795792049047 implements MigrationInterface {
  name = 'AuditMessagesAndReports1795792049047';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "report_chunks" ("report_id" uuid NOT NULL, "seq" integer NOT NULL, "data" bytea NOT NULL, CONSTRAINT "PK_65a1b7ef78aa687845f232d725e" PRIMARY KEY ("report_id", "seq"))`,
    );
    await queryRunner.query(`ALTER TABLE "audit_logs" ADD "request_id" character varying(128)`);
    await queryRunner.query(
      `ALTER TABLE "audit_logs" ADD "source" character varying(20) NOT NULL DEFAULT 'admin'`,
    );
    await queryRunner.query(`ALTER TABLE "audit_logs" ADD "message_id" character varying(64)`);
    await queryRunner.query(
      `ALTER TABLE "reports" ADD "status" character varying(20) NOT NULL DEFAULT 'queued'`,
    );
    await queryRunner.query(
      `ALTER TABLE "reports" ADD "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()`,
    );
    await queryRunner.query(`ALTER TABLE "reports" ADD "row_count" bigint`);
    await queryRunner.query(`ALTER TABLE "reports" ADD "size_bytes" bigint`);
    await queryRunner.query(`ALTER TABLE "reports" ADD "checksum" character varying(64)`);
    await queryRunner.query(`ALTER TABLE "reports" ADD "attempts" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "reports" ADD "error" text`);
    await queryRunner.query(`DROP INDEX "public"."IDX_audit_logs_admin_created"`);
    await queryRunner.query(`ALTER TABLE "audit_logs" ALTER COLUMN "admin_id" DROP NOT NULL`);
    await queryRunner.query(`ALTER TABLE "reports" ALTER COLUMN "generated_at" DROP NOT NULL`);
    await queryRunner.query(`ALTER TABLE "reports" ALTER COLUMN "generated_at" DROP DEFAULT`);
    await queryRunner.query(
      `CREATE INDEX "IDX_audit_logs_created" ON "audit_logs"  ("created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_audit_logs_admin_created" ON "audit_logs"  ("admin_id", "created_at") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_configurations_active" ON "configurations"  ("name") WHERE "active"`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_reports_created" ON "reports"  ("created_at") `);
    await queryRunner.query(
      `ALTER TABLE "audit_logs" ADD CONSTRAINT "UQ_audit_logs_source_message" UNIQUE ("source", "message_id")`,
    );
    await queryRunner.query(
      `ALTER TABLE "report_chunks" ADD CONSTRAINT "FK_report_chunks_report" FOREIGN KEY ("report_id") REFERENCES "reports"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    // The audit trail is evidence: nobody, the application included, rewrites it. The
    // trigger refuses it whoever asks; the role that runs this (the application's, in the
    // compose stack) also gives up its own rights to do it.
    await queryRunner.query(`
      CREATE FUNCTION "refuse_audit_log_change"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_logs is append-only';
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "audit_logs_append_only" BEFORE UPDATE OR DELETE ON "audit_logs" FOR EACH ROW EXECUTE FUNCTION "refuse_audit_log_change"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "audit_logs_no_truncate" BEFORE TRUNCATE ON "audit_logs" FOR EACH STATEMENT EXECUTE FUNCTION "refuse_audit_log_change"()`,
    );
    await queryRunner.query(
      `REVOKE UPDATE, DELETE, TRUNCATE ON "audit_logs" FROM PUBLIC, CURRENT_USER`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`GRANT UPDATE, DELETE, TRUNCATE ON "audit_logs" TO CURRENT_USER`);
    await queryRunner.query(`DROP TRIGGER "audit_logs_no_truncate" ON "audit_logs"`);
    await queryRunner.query(`DROP TRIGGER "audit_logs_append_only" ON "audit_logs"`);
    await queryRunner.query(`DROP FUNCTION "refuse_audit_log_change"()`);
    await queryRunner.query(
      `ALTER TABLE "report_chunks" DROP CONSTRAINT "FK_report_chunks_report"`,
    );
    await queryRunner.query(
      `ALTER TABLE "audit_logs" DROP CONSTRAINT "UQ_audit_logs_source_message"`,
    );
    await queryRunner.query(`DROP INDEX "public"."IDX_reports_created"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_configurations_active"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_audit_logs_admin_created"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_audit_logs_created"`);
    await queryRunner.query(`ALTER TABLE "reports" ALTER COLUMN "generated_at" SET DEFAULT now()`);
    await queryRunner.query(`ALTER TABLE "reports" ALTER COLUMN "generated_at" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "audit_logs" ALTER COLUMN "admin_id" SET NOT NULL`);
    await queryRunner.query(
      `CREATE INDEX "IDX_audit_logs_admin_created" ON "audit_logs" USING btree ("admin_id", "created_at") `,
    );
    await queryRunner.query(`ALTER TABLE "reports" DROP COLUMN "error"`);
    await queryRunner.query(`ALTER TABLE "reports" DROP COLUMN "attempts"`);
    await queryRunner.query(`ALTER TABLE "reports" DROP COLUMN "checksum"`);
    await queryRunner.query(`ALTER TABLE "reports" DROP COLUMN "size_bytes"`);
    await queryRunner.query(`ALTER TABLE "reports" DROP COLUMN "row_count"`);
    await queryRunner.query(`ALTER TABLE "reports" DROP COLUMN "created_at"`);
    await queryRunner.query(`ALTER TABLE "reports" DROP COLUMN "status"`);
    await queryRunner.query(`ALTER TABLE "audit_logs" DROP COLUMN "message_id"`);
    await queryRunner.query(`ALTER TABLE "audit_logs" DROP COLUMN "source"`);
    await queryRunner.query(`ALTER TABLE "audit_logs" DROP COLUMN "request_id"`);
    await queryRunner.query(`DROP TABLE "report_chunks"`);
  }
}
