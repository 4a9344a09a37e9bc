import { IDENTITY_MIGRATIONS } from '../database/migrations/identity/index.js';
import { SESSION_ENTITIES } from '../session/index.js';
import { IDENTITY_ENTITIES } from './entities/index.js';

/**
 * What the identity database holds — identity's tables and the session store's beside
 * them — and the migrations that build it, as DataSource options: a host spreads them into
 * its identity DataSource. One migration builds an index concurrently, outside any
 * transaction, so each migration runs in a transaction of its own.
 */
export const IDENTITY_STORE = {
  entities: [...IDENTITY_ENTITIES, ...SESSION_ENTITIES],
  migrations: IDENTITY_MIGRATIONS,
  migrationsTransactionMode: 'each' as const,
};
