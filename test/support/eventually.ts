import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` every `intervalMs` until it holds; fails after `timeoutMs`. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not reached in time');
    await sleep(intervalMs);
  }
}
