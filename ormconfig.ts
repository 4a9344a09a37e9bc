/**
 * The TypeORM CLI's data source, for one database at a time: `npm run typeorm -- <command>`
 * with MIGRATION_DATABASE (identity, web, admin or bot) and its DATABASE_*_URL, e.g.
 *   MIGRATION_DATABASE=web npm run typeorm -- migration:generate src/database/migrations/web/AddFoo
 * It loads the compiled configuration (src/ormconfig.ts), which `npm run typeorm` builds first.
 */
import type { DataSource } from 'typeorm';

const compiled = new URL('./dist/ormconfig.js', import.meta.url).href;
const { default: dataSource } = (await import(compiled)) as { default: DataSource };

export default dataSource;
