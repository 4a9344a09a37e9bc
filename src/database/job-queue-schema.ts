import { getConstructionPlans } from 'pg-boss';

/** The schema of the admin database's durable job queue (pg-boss). */
export const JOB_QUEUE_SCHEMA = 'pgboss';

/**
 * pg-boss's own construction SQL for that schema, without the transaction it wraps itself
 * in: a migration runs it inside its own. The SQL is that of the installed pg-boss version
 * (package-lock.json pins it); a pg-boss upgrade that changes the schema comes with a
 * migration running its getMigrationPlans.
 */
export function jobQueueConstructionSql(): string {
  return getConstructionPlans(JOB_QUEUE_SCHEMA)
    .trim()
    .replace(/^BEGIN;/, '')
    .replace(/COMMIT;$/, '');
}
