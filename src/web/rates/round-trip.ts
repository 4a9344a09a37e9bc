import { canonical, money } from '../money.js';

/**
 * Exchanging one unit of `from` into `to` at `rate`, and back at `opposite`, returns
 * `rate × opposite` before rounding. At 1 or more the exchange pays out at least what it
 * took in (USD→EUR 0.92 with EUR→USD 1.087 returns 1.00004), so a pair's round trip must
 * stay below 1. Counter amounts are rounded down, so rounding never adds to it.
 * Returns the problem in words, or undefined when the pair is sound.
 */
export function roundTripProblem(
  from: string,
  to: string,
  rate: string,
  opposite: string,
): string | undefined {
  const returned = money(rate).times(opposite);
  if (returned.lt(1)) return undefined;
  return (
    `${from}/${to} at ${canonical(rate)} with ${to}/${from} at ${canonical(opposite)} ` +
    `returns ${returned.toFixed()} ${from} for each ${from} exchanged there and back; ` +
    `the round trip must return less than 1`
  );
}

/** The first pair of `rates` (from, to, rate) whose round trip with its opposite is unsound. */
export function firstRoundTripProblem(
  rates: ReadonlyArray<readonly [string, string, string]>,
): string | undefined {
  const byPair = new Map(rates.map(([from, to, rate]) => [`${from}/${to}`, rate]));
  for (const [from, to, rate] of rates) {
    const opposite = byPair.get(`${to}/${from}`);
    const problem = opposite === undefined ? undefined : roundTripProblem(from, to, rate, opposite);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
