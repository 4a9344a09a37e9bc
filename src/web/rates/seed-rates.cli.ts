import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { AppContext, Database } from '../../common/app-context.js';
import { loadConfig } from '../../config/app-config.js';
import { ConfigError } from '../../config/env.schema.js';
import { dataSourceOptions } from '../../database/data-source-options.js';
import { EmbeddedPostgresError } from '../../database/embedded-postgres.js';
import { runPendingMigrations } from '../../database/migrate.js';
import { withDatabaseUrls } from '../../database/with-databases.js';

/** A starting set of rates (indicative; the admin application sets real ones). */
const STARTING_RATES: ReadonlyArray<[string, string, string]> = [
  ['USD', 'EUR', '0.92000000'],
  ['EUR', 'USD', '1.08700000'],
  ['USD', 'GBP', '0.79000000'],
  ['GBP', 'USD', '1.26580000'],
  ['USD', 'CHF', '0.88000000'],
  ['USD', 'PLN', '4.00000000'],
  ['USD', 'UAH', '41.50000000'],
  ['UAH', 'USD', '0.02409600'],
  ['EUR', 'UAH', '45.10000000'],
  ['BTC', 'USD', '65000.00000000'],
  ['USD', 'BTC', '0.00001538'],
  ['ETH', 'USD', '3400.00000000'],
  ['USDT', 'USD', '1.00000000'],
  ['USD', 'USDT', '1.00000000'],
];

/** `npm run seed:rates`: loads the starting rates into a web database that has none. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  await withDatabaseUrls(
    config,
    async (urls) => {
      const url = urls[Database.Web];
      if (url === undefined) throw new Error('No URL for the web database');
      const dataSource = await new DataSource(dataSourceOptions(Database.Web, url)).initialize();
      try {
        await runPendingMigrations(dataSource);
        const existing: unknown[] = await dataSource.query('SELECT 1 FROM exchange_rates LIMIT 1');
        if (existing.length > 0) {
          console.log('exchange_rates already holds rates: nothing seeded');
          return;
        }
        const supported = new Set(config.exchange.currencies);
        const rates = STARTING_RATES.filter(
          ([from, to]) => supported.has(from) && supported.has(to),
        );
        await dataSource.query(
          `INSERT INTO exchange_rates (from_currency, to_currency, rate)
           SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::numeric[])`,
          [rates.map((r) => r[0]), rates.map((r) => r[1]), rates.map((r) => r[2])],
        );
        console.log(`seeded ${rates.length} rates`);
      } finally {
        await dataSource.destroy();
      }
    },
    [AppContext.Web],
  );
}

main().catch((error: unknown) => {
  const message =
    error instanceof ConfigError
      ? `Invalid configuration: ${error.message}`
      : error instanceof EmbeddedPostgresError
        ? error.message
        : error;
  console.error(message);
  process.exitCode = 1;
});
