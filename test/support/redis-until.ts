import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type RedisClientType } from '@redis/client';

/**
 * Waits until the local redis-server (or sentinel) on `port` answers and `check` holds on a
 * fresh connection; a connection refused counts as not yet.
 */
export async function untilRedis(
  port: number,
  check: (client: RedisClientType) => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const started = Date.now();
  for (;;) {
    const client = createClient({
      socket: { port, host: '127.0.0.1', reconnectStrategy: false },
    });
    const done = await client
      .connect()
      .then(() => check(client))
      .catch(() => false)
      .finally(() => client.close().catch(() => undefined));
    if (done) return;
    if (Date.now() - started > timeoutMs) throw new Error(`redis on ${port}: not ready in time`);
    await sleep(100);
  }
}
