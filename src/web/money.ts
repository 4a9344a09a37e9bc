import { Decimal } from 'decimal.js';

/** numeric(18,8): at most 10 integer digits and 8 fractional ones. */
export const MONEY_SCALE = 8;
const MONEY_MAX = new Decimal('9999999999.99999999');

/**
 * Money is decimal end to end: PostgreSQL numeric, decimal.js in code, strings on the wire.
 * Rounding is half away from zero to 8 places, as PostgreSQL rounds numeric(18,8).
 */
const Money = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });

export function money(value: string): Decimal {
  return new Money(value);
}

/** amount × rate, rounded to the money scale; undefined when it does not fit numeric(18,8). */
export function convert(amount: string, rate: string): string | undefined {
  const result = new Money(amount).times(rate).toDecimalPlaces(MONEY_SCALE);
  return result.gt(MONEY_MAX) || result.lte(0) ? undefined : result.toFixed(MONEY_SCALE);
}

/** The canonical text of an amount: PostgreSQL's numeric(18,8) output, e.g. "100.50000000". */
export function canonical(value: string): string {
  return new Money(value).toFixed(MONEY_SCALE);
}

export function sum(values: readonly string[]): string {
  return values.reduce((total, value) => total.plus(value), new Money(0)).toFixed(MONEY_SCALE);
}
