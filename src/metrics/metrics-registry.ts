import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * This application's Prometheus registry (one per application instance, not prom-client's
 * global one: two instances in one process, as in the tests, keep their own). Modules add
 * their own metrics to it.
 */
export class MetricsRegistry extends Registry {
  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []) {
    return new Counter<L>({ name, help, labelNames, registers: [this] });
  }

  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect?: (gauge: Gauge<L>) => Promise<void> | void,
  ) {
    return new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this],
      ...(collect !== undefined && {
        collect(this: Gauge<L>) {
          return collect(this);
        },
      }),
    });
  }

  histogram<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: number[],
  ) {
    return new Histogram<L>({ name, help, labelNames, buckets, registers: [this] });
  }
}
