import { IDENTITY_STORE, runIdentityMigrations } from '@exchanger/identity';
import { ADMIN_ENTITIES } from './admin/entities/index.js';
import { BOT_ENTITIES } from './bot/entities/index.js';
import { Database } from './common/app-context.js';
import type { Schema } from './database/data-source-options.js';
import { ADMIN_MIGRATIONS } from './database/migrations/admin/index.js';
import { IDENTITY_PRODUCT_MIGRATIONS } from './database/migrations/identity/index.js';
import { BOT_MIGRATIONS } from './database/migrations/bot/index.js';
import { WEB_MIGRATIONS } from './database/migrations/web/index.js';
import { OutboxRow } from './database/outbox.entity.js';
import { WEB_ENTITIES } from './web/entities/index.js';

/**
 * What each database holds, assembled here at the top so that `database/` knows no
 * application. Lists, not globs: the same classes load under tsc, Jest and the CLI. The
 * databases where changes happen that another database must hear of (staff actions,
 * order statuses) have an outbox.
 */
export const SCHEMAS: Readonly<Record<Database, Schema>> = {
  [Database.Identity]: {
    entities: [...IDENTITY_STORE.entities, OutboxRow],
    migrations: IDENTITY_PRODUCT_MIGRATIONS,
    // The package records its migrations in identity_migrations; a database migrated before
    // it did has them in `migrations`, and they move over once.
    packageMigrations: (dataSource) =>
      runIdentityMigrations(dataSource, { adoptFrom: 'migrations' }),
  },
  [Database.Web]: { entities: [...WEB_ENTITIES, OutboxRow], migrations: WEB_MIGRATIONS },
  [Database.Admin]: { entities: ADMIN_ENTITIES, migrations: ADMIN_MIGRATIONS },
  [Database.Bot]: { entities: BOT_ENTITIES, migrations: BOT_MIGRATIONS },
};
