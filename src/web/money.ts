import { Decimal } from 'decimal.js';

/** numeric(18,8): at most 10 integer digits and 8 fractional ones. */
export const MONEY_SCALE = 8;
const MONEY_MAX = new Decimal('9999999999.99999999');

/**
 * Money is decimal end to end: PostgreSQL numeric, decimal.js in code, strings on the wire.
 * Values are rounded half away from zero to 8 places, as PostgreSQL rounds numeric(18,8);
 * counter amounts are the exception (see convert).
 */
const Money = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });

export function money(value: string): Decimal {
  return new Money(value);
}

/**
 * amount × rate, rounded down to the money scale: in the exchange's favour, so that a
 * round trip never pays out a fraction the rates do not cover. Undefined when the result
 * rounds to 0 or does not fit numeric(18,8).
 */
export function convert(amount: string, rate: string): string | undefined {
  const result = new Money(amount).times(rate).toDecimalPlaces(MONEY_SCALE, Decimal.ROUND_DOWN);
  return result.gt(MONEY_MAX) || result.lte(0) ? undefined : result.toFixed(MONEY_SCALE);
}

/** The canonical text of an amount: PostgreSQL's numeric(18,8) output, e.g. "100.50000000". */
export function canonical(value: string): string {
  return new Money(value).toFixed(MONEY_SCALE);
}

export function sum(values: readonly string[]): string {
  return values.reduce((total, value) => total.plus(value), new Money(0)).toFixed(MONEY_SCALE);
}
