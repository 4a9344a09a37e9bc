import { IDENTITY_MIGRATIONS } from '../database/migrations/identity/index.js';
import { SESSION_ENTITIES } from '../session/index.js';
import { IDENTITY_ENTITIES } from './entities/index.js';

/**
 * What the identity database holds — identity's tables and the session store's beside
 * them — and the migrations that build it. A host gives both to its identity DataSource.
 */
export const IDENTITY_STORE = {
  entities: [...IDENTITY_ENTITIES, ...SESSION_ENTITIES],
  migrations: IDENTITY_MIGRATIONS,
};
