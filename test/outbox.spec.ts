import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Database } from '../src/common/app-context.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { Outbox, type OutboxMessage } from '../src/database/outbox.js';
import { SCHEMAS } from '../src/schemas.js';
import { testDatabaseUrl } from './support/test-env.js';

describe('the transactional outbox', () => {
  let dataSource: DataSource;
  let outbox: Outbox;
  const topic = () => `test-${randomUUID()}`;

  beforeAll(async () => {
    dataSource = await new DataSource(
      dataSourceOptions(Database.Web, SCHEMAS[Database.Web], testDatabaseUrl(Database.Web)),
    ).initialize();
    outbox = new Outbox(dataSource);
  });
  afterAll(() => dataSource.destroy());

  it('keeps a message exactly when the change that recorded it commits', async () => {
    const name = topic();
    await dataSource.transaction((manager) => outbox.add(manager, name, { kept: true }));
    await dataSource
      .transaction(async (manager) => {
        await outbox.add(manager, name, { kept: false });
        throw new Error('the change fails');
      })
      .catch(() => undefined);
    const received: OutboxMessage[] = [];
    expect(
      await outbox.deliver<Record<string, unknown>>(name, (batch) => {
        received.push(...batch);
        return Promise.resolve();
      }),
    ).toBe(1);
    expect(received.map((message) => message.payload)).toEqual([{ kept: true }]);
    expect(await outbox.pending(name)).toBe(0);
  });

  it('keeps messages whose delivery failed, and retries them after a backoff', async () => {
    const name = topic();
    await dataSource.transaction((manager) => outbox.add(manager, name, { n: 1 }));
    await expect(
      outbox.deliver(name, () => Promise.reject(new Error('receiver down'))),
    ).rejects.toThrow(/receiver down/);
    expect(await outbox.pending(name)).toBe(1);
    // Not due yet: the first retry waits half a second.
    expect(await outbox.deliver(name, () => Promise.resolve())).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await outbox.deliver(name, () => Promise.resolve())).toBe(1);
    const rows: Array<{ count: number }> = await dataSource.query(
      'SELECT count(*)::int AS count FROM outbox WHERE topic = $1',
      [name],
    );
    expect(rows[0]?.count).toBe(0);
  });

  it('hands each message to one of several concurrent relays', async () => {
    const name = topic();
    await dataSource.transaction(async (manager) => {
      for (let index = 0; index < 50; index++) await outbox.add(manager, name, { index });
    });
    const seen: string[] = [];
    const relay = async () => {
      while (
        (await outbox.deliver(
          name,
          async (batch) => {
            await new Promise((resolve) => setTimeout(resolve, 5));
            seen.push(...batch.map((message) => message.id));
          },
          7,
        )) > 0
      ) {
        // next batch
      }
    };
    await Promise.all([relay(), relay(), relay()]);
    expect(seen).toHaveLength(50);
    expect(new Set(seen).size).toBe(50);
  });
});
