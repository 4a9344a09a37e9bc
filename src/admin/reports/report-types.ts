import type { Readable } from 'node:stream';

/** What can be exported, each with its CSV columns, in order (the source's row keys). */
export const REPORT_COLUMNS = {
  orders: [
    'id',
    'user_id',
    'from_currency',
    'to_currency',
    'amount',
    'exchange_rate',
    'counter_amount',
    'status',
    'created_at',
    'updated_at',
  ],
  users: ['id', 'email', 'role', 'email_verified', 'disabled_at', 'created_at', 'last_login_at'],
  sessions: [
    'id',
    'user_id',
    'application_context',
    'created_at',
    'last_activity',
    'expires_at',
    'revoked',
    'revoked_at',
    'ip_address',
    'user_agent',
  ],
  ledger: [
    'id',
    'order_id',
    'payment_id',
    'user_id',
    'entry_type',
    'currency',
    'amount',
    'created_at',
  ],
} as const;

export type ReportType = keyof typeof REPORT_COLUMNS;
export const REPORT_TYPES = Object.keys(REPORT_COLUMNS) as ReportType[];

/**
 * Reports that name people: emails (users), addresses and browsers (sessions). Requesting
 * or downloading one needs step-up. Orders and the ledger carry only user ids and amounts.
 */
export const PERSONAL_REPORTS: ReadonlySet<string> = new Set<ReportType>(['users', 'sessions']);

/** A report's rows: a read-only stream from the service that owns the data. */
export type RowSource = (from: Date, to: Date) => Readable & AsyncIterable<Record<string, unknown>>;
