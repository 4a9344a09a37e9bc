import type { RedisConnection, RedisNode } from '../../redis/index.js';

/** Key families counted per namespace: the first two parts of a key (`identity:session`, `cache:web`). */
function familyOf(key: string): string {
  return key.split(':').slice(0, 2).join(':');
}

/** At most this many SCAN steps per sample: a huge keyspace is sampled, not walked for minutes. */
const MAX_SCAN_STEPS = 2_000;

export interface RedisSample {
  readonly usedMemoryBytes: number;
  readonly hitRatio: number | null;
  readonly keysByNamespace: Record<string, number>;
  /** False when the key count stopped at MAX_SCAN_STEPS. */
  readonly complete: boolean;
}

function infoField(info: string, field: string): number | undefined {
  const match = new RegExp(`^${field}:(\\d+)`, 'm').exec(info);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * What Redis tells about itself and its keys: memory, hit ratio (INFO), and keys per
 * namespace, counted with SCAN (never KEYS), in bounded steps — summed over every master
 * on Redis Cluster.
 */
export async function sampleRedis(redis: RedisConnection): Promise<RedisSample | undefined> {
  if (!redis.configured) return undefined;
  const servers = await redis.nodes();
  const nodes = await Promise.all(
    servers.map(async (node) => {
      const memory = await node.info('memory');
      const stats = await node.info('stats');
      return {
        usedMemoryBytes: infoField(memory, 'used_memory') ?? 0,
        hits: infoField(stats, 'keyspace_hits') ?? 0,
        misses: infoField(stats, 'keyspace_misses') ?? 0,
      };
    }),
  );
  const keysByNamespace: Record<string, number> = {};
  const complete = await Promise.all(servers.map((node) => countKeys(node, keysByNamespace)));
  const hits = nodes.reduce((total, node) => total + node.hits, 0);
  const misses = nodes.reduce((total, node) => total + node.misses, 0);
  return {
    usedMemoryBytes: nodes.reduce((total, node) => total + node.usedMemoryBytes, 0),
    hitRatio: hits + misses === 0 ? null : hits / (hits + misses),
    keysByNamespace,
    complete: complete.every(Boolean),
  };
}

/** Adds one server's keys, per namespace, to `counts`; false when it stopped at MAX_SCAN_STEPS. */
async function countKeys(node: RedisNode, counts: Record<string, number>): Promise<boolean> {
  let cursor = '0';
  let steps = 0;
  do {
    const reply = await node.scan(cursor, { COUNT: 1_000 });
    cursor = String(reply.cursor);
    for (const key of reply.keys) {
      const family = familyOf(String(key));
      counts[family] = (counts[family] ?? 0) + 1;
    }
    steps++;
  } while (cursor !== '0' && steps < MAX_SCAN_STEPS);
  return cursor === '0';
}
