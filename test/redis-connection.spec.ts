import { setImmediate as nextTurn } from 'node:timers/promises';
import { INVALIDATION, RedisConnection, RedisUnavailableError } from '../src/redis/index.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { TEST_REDIS_URL } from './support/test-env.js';

/** Keeps the event loop busy, as a long garbage collection or a starved CPU would. */
function stall(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

describe('RedisConnection', () => {
  const connection = new RedisConnection({ url: TEST_REDIS_URL, commandTimeoutMs: 100 });
  const key = `test:redis-connection:${process.pid}`;

  beforeAll(() => connection.connect());
  afterAll(async () => {
    await connection.run((client) => client.del(key)).catch(() => undefined);
    await connection.onApplicationShutdown();
  });

  it('takes a reply that arrived while the process itself was stalled, not a timeout', async () => {
    await connection.run((client) => client.set(key, 'value'));
    const timeoutsBefore = connection.counters.timeouts;
    const read = connection.run((client) => client.get(key));
    await nextTurn(); // the command is on the wire
    stall(300); // past the 100 ms timeout; Redis answered long ago
    await expect(read).resolves.toBe('value');
    expect(connection.counters.timeouts).toBe(timeoutsBefore);
    expect(connection.healthy).toBe(true);
  });

  it('still times out a command that gets no answer', async () => {
    const timeoutsBefore = connection.counters.timeouts;
    await expect(connection.guard(() => new Promise(() => undefined))).rejects.toBeInstanceOf(
      RedisUnavailableError,
    );
    expect(connection.counters.timeouts).toBe(timeoutsBefore + 1);
    expect(connection.healthy).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the cooldown ends
  });

  it('after a failure, fails reads fast but still tries invalidations', async () => {
    await expect(connection.guard(() => Promise.reject(new Error('hiccup')))).rejects.toThrow(
      'hiccup',
    );
    await expect(connection.run((client) => client.get(key))).rejects.toThrow('recent failure');
    await connection.run((client) => client.set(key, 'tombstone'), INVALIDATION);
    expect(connection.healthy).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await expect(connection.run((client) => client.get(key))).resolves.toBe('tombstone');
  });

  it('shuts down within a bound even with a command that will never be answered', async () => {
    const proxy = await TcpProxy.start(TEST_REDIS_URL);
    const stalled = new RedisConnection({ url: proxy.url(TEST_REDIS_URL), commandTimeoutMs: 100 });
    try {
      await stalled.connect();
      proxy.freeze();
      await expect(stalled.run((client) => client.get(key))).rejects.toBeInstanceOf(
        RedisUnavailableError,
      );
      const started = Date.now();
      await stalled.onApplicationShutdown();
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await proxy.stop();
    }
  });
});
