/**
 * A starting set of rates (indicative; the admin application sets real ones), loaded by
 * `npm run seed:rates`. Each pair quoted both ways returns less than 1 on a round trip.
 */
export const STARTING_RATES: ReadonlyArray<readonly [from: string, to: string, rate: string]> = [
  ['USD', 'EUR', '0.92000000'],
  ['EUR', 'USD', '1.08600000'],
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
  ['USDT', 'USD', '0.99900000'],
  ['USD', 'USDT', '0.99900000'],
];
