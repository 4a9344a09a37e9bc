import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audit rows say what the admin database itself saw beside what the message claims: when
 * the row arrived (stamped here), the request id the client sent apart from the server's
 * own, and the applications of the process that wrote the message.
 */
export class AuditArrivalAndOrigin1796500000000 implements MigrationInterface {
  name = 'AuditArrivalAndOrigin1796500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "audit_logs" ADD "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()`,
    );
    await queryRunner.query(
      `ALTER TABLE "audit_logs" ADD "client_request_id" character varying(128)`,
    );
    await queryRunner.query(`ALTER TABLE "audit_logs" ADD "origin_process" character varying(100)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "audit_logs" DROP COLUMN "origin_process"`);
    await queryRunner.query(`ALTER TABLE "audit_logs" DROP COLUMN "client_request_id"`);
    await queryRunner.query(`ALTER TABLE "audit_logs" DROP COLUMN "received_at"`);
  }
}
