import { SESSION_ENTITIES } from '../session/index.js';
import { IDENTITY_ENTITIES } from './entities/index.js';

/**
 * The entities of the identity tables — identity's and the session store's beside them — as
 * DataSource options: a host spreads them into its identity DataSource. The tables are built
 * by the package's own migrations (`migrations: 'run'`, or `runIdentityMigrations`),
 * recorded in a table of their own, never mixed into the host's list.
 */
export const IDENTITY_STORE = {
  entities: [...IDENTITY_ENTITIES, ...SESSION_ENTITIES],
};
