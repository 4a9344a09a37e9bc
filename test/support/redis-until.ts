import { createClient, type RedisClientType } from '@redis/client';
import { eventually } from './eventually.js';

/**
 * Waits until the local redis-server (or sentinel) on `port` answers and `check` holds on a
 * fresh connection; a connection refused counts as not yet.
 */
export async function untilRedis(
  port: number,
  check: (client: RedisClientType) => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const holds = async () => {
    const client = createClient({
      socket: { port, host: '127.0.0.1', reconnectStrategy: false },
    });
    return client
      .connect()
      .then(() => check(client))
      .catch(() => false)
      .finally(() => client.close().catch(() => undefined));
  };
  await eventually(holds, timeoutMs, 100).catch(() => {
    throw new Error(`redis on ${port}: not ready in time`);
  });
}
