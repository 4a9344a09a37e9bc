import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { convert, money } from '../src/web/money.js';
import { firstRoundTripProblem, roundTripProblem } from '../src/web/rates/round-trip.js';
import { STARTING_RATES } from '../src/web/rates/starting-rates.js';

/** A decimal string with at most 8 places, from 0.00000001 up to `max`. */
const amount = (max: number) =>
  fc
    .integer({ min: 1, max: max * 1e8 })
    .map((units) => money(String(units)).dividedBy(1e8).toFixed(8));

describe('a round trip through the exchange', () => {
  it('rounds a counter amount down, in the exchange’s favour', () => {
    expect(convert('1.00000001', '0.5')).toBe('0.50000000');
    expect(convert('0.00000003', '0.5')).toBe('0.00000001');
    expect(convert('0.00000001', '0.5')).toBeUndefined(); // rounds to nothing
  });

  it('returns less than it took in whenever the two rates multiply to less than 1', () => {
    // The opposite rate is the inverse rounded down: the thinnest margin a pair can have.
    const rates = fc.integer({ min: 1, max: 100_000 * 1e8 }).map((units) => {
      const rate = money(String(units)).dividedBy(1e8);
      const opposite = money('1').dividedBy(rate).toDecimalPlaces(8, Decimal.ROUND_DOWN);
      return [rate.toFixed(8), opposite.toFixed(8)] as const;
    });
    fc.assert(
      fc.property(amount(1_000_000), rates, (sent, [rate, opposite]) => {
        fc.pre(money(rate).times(opposite).lt(1));
        const received = convert(sent, rate);
        const back = received === undefined ? undefined : convert(received, opposite);
        return back === undefined || money(back).lt(sent);
      }),
      { numRuns: 5_000 },
    );
  });

  it('refuses a pair whose round trip returns 1 or more, naming both rates', () => {
    expect(roundTripProblem('USD', 'EUR', '0.92', '1.086')).toBeUndefined();
    expect(roundTripProblem('USD', 'EUR', '0.92', '1.087')).toBe(
      'USD/EUR at 0.92000000 with EUR/USD at 1.08700000 returns 1.00004 USD for each USD ' +
        'exchanged there and back; the round trip must return less than 1',
    );
    expect(roundTripProblem('USD', 'USDT', '1', '1')).toContain('returns 1 USD');
  });

  it('seeds only pairs whose round trip returns less than 1', () => {
    expect(firstRoundTripProblem(STARTING_RATES)).toBeUndefined();
    expect(
      firstRoundTripProblem([...STARTING_RATES, ['EUR', 'GBP', '0.9'], ['GBP', 'EUR', '1.2']]),
    ).toContain('EUR/GBP');
  });
});
