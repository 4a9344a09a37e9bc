/** How long to wait before the next try, doubling from `firstMs` up to `maxMs`. */
export interface Backoff {
  readonly firstMs: number;
  readonly maxMs: number;
}

/** The pause after the `failures`-th failure in a row (1 for the first): first, 2×, 4×, … capped. */
export function backoffDelayMs(failures: number, { firstMs, maxMs }: Backoff): number {
  return Math.min(maxMs, firstMs * 2 ** Math.max(0, failures - 1));
}
