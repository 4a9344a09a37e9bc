import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAdminSchema1795319172260 implements MigrationInterface {
  name = 'CreateAdminSchema1795319172260';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "admin_settings" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "key" character varying(255) NOT NULL, "value" jsonb NOT NULL, "description" text, "updated_by" uuid, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_183ab1d699c433231a67928c766" UNIQUE ("key"), CONSTRAINT "PK_8eeabc518a2e33306f19fa557cc" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "audit_logs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "admin_id" uuid NOT NULL, "action" character varying(255) NOT NULL, "resource_type" character varying(100) NOT NULL, "resource_id" character varying(255), "old_values" jsonb, "new_values" jsonb, "ip_address" inet, "user_agent" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_1bb179d048bbc581caa3b013439" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_audit_logs_resource" ON "audit_logs"  ("resource_type", "resource_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_audit_logs_admin_created" ON "audit_logs"  ("admin_id", "created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "configurations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" character varying(255) NOT NULL, "version" integer NOT NULL, "value" jsonb NOT NULL, "active" boolean NOT NULL DEFAULT false, "created_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_configurations_name_version" UNIQUE ("name", "version"), CONSTRAINT "PK_ef9fc29709cc5fc66610fc6a664" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "reports" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" character varying(255) NOT NULL, "type" character varying(100) NOT NULL, "parameters" jsonb, "generated_by" uuid NOT NULL, "generated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "file_path" character varying(500), CONSTRAINT "PK_d9013193989303580053c0b5ef6" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "system_metrics" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "metric_name" character varying(255) NOT NULL, "metric_value" numeric(18,8), "tags" jsonb, "recorded_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_499f823773b117bc1a2e6330dae" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_system_metrics_name_recorded" ON "system_metrics"  ("metric_name", "recorded_at") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_system_metrics_name_recorded"`);
    await queryRunner.query(`DROP TABLE "system_metrics"`);
    await queryRunner.query(`DROP TABLE "reports"`);
    await queryRunner.query(`DROP TABLE "configurations"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_audit_logs_admin_created"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_audit_logs_resource"`);
    await queryRunner.query(`DROP TABLE "audit_logs"`);
    await queryRunner.query(`DROP TABLE "admin_settings"`);
  }
}
