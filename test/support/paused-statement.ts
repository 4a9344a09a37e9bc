import { jest } from '@jest/globals';
import pg from 'pg';

type Callback = (error: unknown, result: unknown) => void;

/**
 * Holds the answer of the next run of a named prepared statement (as sent to PostgreSQL)
 * until `release()`: the code under test has read the database and not yet acted on it.
 * Races are driven at that exact point from outside the code, at the driver.
 */
export function pauseAfter(statement: string): {
  answered: Promise<void>;
  release(): void;
  restore(): void;
} {
  let answered!: () => void;
  let release!: () => void;
  const answeredPromise = new Promise<void>((resolve) => (answered = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  let armed = true;
  // Called with its own `this` (the client) below.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  const spy = jest.spyOn(pg.Client.prototype, 'query').mockImplementation(function (
    this: pg.Client,
    ...args: unknown[]
  ) {
    const config = args[0] as { name?: string } | undefined;
    const callback = args[args.length - 1];
    if (armed && config?.name === statement && typeof callback === 'function') {
      armed = false;
      args[args.length - 1] = ((error, result) => {
        answered();
        void released.then(() => (callback as Callback)(error, result));
      }) satisfies Callback;
    }
    return original.apply(this, args);
  });
  return { answered: answeredPromise, release, restore: () => spy.mockRestore() };
}
