import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateIdentitySchema1795319160161 implements MigrationInterface {
  name = 'CreateIdentitySchema1795319160161';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "cache_invalidations" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "cache_key" character varying(255) NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_99f36cb7efaaaaf6854eab36d71" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_cache_invalidations_created" ON "cache_invalidations"  ("created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "security_events" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "event_type" character varying(50) NOT NULL, "application_context" character varying(50), "user_id" uuid, "ip_address" inet, "user_agent" text, "details" jsonb NOT NULL DEFAULT '{}', CONSTRAINT "PK_6fc100d6700780737348df0d3ae" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_security_events_occurred" ON "security_events"  ("occurred_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_security_events_user_occurred" ON "security_events"  ("user_id", "occurred_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "users" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "email" character varying(255) NOT NULL, "password_hash" text NOT NULL, "email_verified" boolean NOT NULL DEFAULT false, "role" character varying(20) NOT NULL DEFAULT 'user', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_login_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "users" ADD CONSTRAINT "CHK_users_role" CHECK ("role" IN ('user', 'admin'))`,
    );
    // Emails are unique whatever their case: Alice@x.io and alice@x.io are one account.
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_users_email_lower" ON "users" (lower("email"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "sessions" ("id" character varying(255) NOT NULL, "user_id" uuid NOT NULL, "application_context" character varying(50) NOT NULL, "session_data" jsonb, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_activity" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "ip_address" inet, "user_agent" text, "revoked" boolean NOT NULL DEFAULT false, "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_3238ef96f18b355b671619111bc" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_sessions_expires_at" ON "sessions"  ("expires_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_sessions_context_user" ON "sessions"  ("application_context", "user_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "user_permissions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "permission" character varying(100) NOT NULL, "application_context" character varying(50) NOT NULL, "granted_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "granted_by" uuid, "expires_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "UQ_user_permissions_user_permission_context" UNIQUE ("user_id", "permission", "application_context"), CONSTRAINT "PK_01f4295968ba33d73926684264f" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_user_permissions_context_user" ON "user_permissions"  ("application_context", "user_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "user_profiles" ("user_id" uuid NOT NULL, "display_name" character varying(100), "language" character varying(10), "theme" character varying(20), "preferences" jsonb NOT NULL DEFAULT '{}', "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6ca9503d77ae39b4b5a6cc3ba88" PRIMARY KEY ("user_id"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "sessions" ADD CONSTRAINT "FK_sessions_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "user_permissions" ADD CONSTRAINT "FK_user_permissions_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "user_profiles" ADD CONSTRAINT "FK_user_profiles_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    // The security trail is evidence: nobody, the application included, rewrites it.
    await queryRunner.query(`
      CREATE FUNCTION "refuse_security_event_change"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'security_events is append-only';
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "security_events_append_only" BEFORE UPDATE OR DELETE ON "security_events" FOR EACH ROW EXECUTE FUNCTION "refuse_security_event_change"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "security_events_no_truncate" BEFORE TRUNCATE ON "security_events" FOR EACH STATEMENT EXECUTE FUNCTION "refuse_security_event_change"()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "security_events_no_truncate" ON "security_events"`);
    await queryRunner.query(`DROP TRIGGER "security_events_append_only" ON "security_events"`);
    await queryRunner.query(`DROP FUNCTION "refuse_security_event_change"()`);
    await queryRunner.query(`DROP INDEX "public"."UQ_users_email_lower"`);
    await queryRunner.query(`ALTER TABLE "user_profiles" DROP CONSTRAINT "FK_user_profiles_user"`);
    await queryRunner.query(
      `ALTER TABLE "user_permissions" DROP CONSTRAINT "FK_user_permissions_user"`,
    );
    await queryRunner.query(`ALTER TABLE "sessions" DROP CONSTRAINT "FK_sessions_user"`);
    await queryRunner.query(`DROP TABLE "user_profiles"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_user_permissions_context_user"`);
    await queryRunner.query(`DROP TABLE "user_permissions"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_sessions_context_user"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_sessions_expires_at"`);
    await queryRunner.query(`DROP TABLE "sessions"`);
    await queryRunner.query(`DROP TABLE "users"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_security_events_user_occurred"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_security_events_occurred"`);
    await queryRunner.query(`DROP TABLE "security_events"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_cache_invalidations_created"`);
    await queryRunner.query(`DROP TABLE "cache_invalidations"`);
  }
}
