import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { AppContext, Database } from '../../common/app-context.js';
import { loadConfig } from '../../config/app-config.js';
import { dataSourceOptions } from '../../database/data-source-options.js';
import { runPendingMigrations } from '../../database/migrate.js';
import { runCommand, withDatabaseUrls } from '../../database/with-databases.js';
import { WEB_MIGRATIONS } from '../../database/migrations/web/index.js';
import { WEB_ENTITIES } from '../entities/index.js';
import { firstRoundTripProblem } from './round-trip.js';
import { STARTING_RATES } from './starting-rates.js';

/** `npm run seed:rates`: loads the starting rates into a web database that has none. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  await withDatabaseUrls(
    config,
    async (urls) => {
      const url = urls[Database.Web];
      if (url === undefined) throw new Error('No URL for the web database');
      const dataSource = await new DataSource(
        dataSourceOptions(
          Database.Web,
          { entities: WEB_ENTITIES, migrations: WEB_MIGRATIONS },
          url,
        ),
      ).initialize();
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
        // The same rule RatesService.setRate applies to every rate set later.
        const problem = firstRoundTripProblem(rates);
        if (problem !== undefined) throw new Error(`Starting rates refused: ${problem}`);
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

runCommand(main);
