import { errorText, ThrottledWarning } from '../background/index.js';
import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  createClient,
  createCluster,
  createSentinel,
  ErrorReply,
  type RedisClientType,
  type RedisClusterType,
  type RedisSentinelType,
} from '@redis/client';
import calculateSlot from 'cluster-key-slot';

/**
 * The commands the application sends, each on one key (scripts: on keys of one slot). A
 * plain client, a Sentinel-managed one and a Cluster client all offer them, routing a
 * command by its key on Cluster; keeping to this list keeps the code working on all three.
 */
export type RedisClient = Pick<RedisClientType, 'get' | 'set' | 'del' | 'eval' | 'evalSha'>;

/** What is asked of each server as a whole (every master, on Cluster): INFO and SCAN. */
export interface RedisNode {
  info(section: string): Promise<string>;
  scan(cursor: string, options: { COUNT: number }): Promise<{ cursor: string; keys: string[] }>;
}

export interface RedisOptions {
  /**
   * Unset (and no sentinels): no Redis; caches live in process memory. With sentinels,
   * only its credentials and database number are used.
   */
  readonly url: string | undefined;
  /** Redis Sentinel: the sentinels to ask and the name of the master they watch. */
  readonly sentinel?: {
    readonly masterName: string;
    readonly nodes: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  };
  /**
   * Redis Cluster: some of its nodes (the rest are discovered). The URL, if any, gives the
   * credentials.
   */
  readonly cluster?: {
    readonly nodes: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  };
  /** Upper bound on one command, after which the caller falls back. */
  readonly commandTimeoutMs: number;
}

/**
 * The host's own node-redis client (`createClient()` of `redis` or `@redis/client`),
 * borrowed: the package connects it if it is not open yet, and never closes it.
 */
export interface BorrowedRedisClient {
  /**
   * Typed by shape: `redis` and `@redis/client` of other versions than this package's are
   * distinct types with the same commands.
   */
  readonly client: { readonly isOpen: boolean; readonly isReady: boolean };
  /** Upper bound on one command, after which the caller falls back (default 200 ms). */
  readonly commandTimeoutMs?: number;
}

/** Redis could not answer in time (down, refusing, stalled, or not configured). */
export class RedisUnavailableError extends Error {
  constructor(reason: string) {
    super(`Redis unavailable: ${reason}`);
    this.name = 'RedisUnavailableError';
  }
}

export interface CommandOptions {
  /**
   * Try even within the cooldown after a failure, as long as the connection is up. For
   * invalidations: a revocation that skips Redis leaves other processes trusting a stale
   * entry until they drain the outbox, and revocations are rare enough to afford a try.
   */
  readonly evenAfterFailure?: boolean;
  /**
   * Succeed only once a replica holds the write (WAIT), where there are replicas (Sentinel;
   * Cluster shards that have them): a failover promotes a replica, and a tombstone that only
   * the lost master held would bring a revoked session back.
   */
  readonly replicated?: boolean;
  /** On Cluster, the key the command writes: its shard is the one whose replica must acknowledge. */
  readonly routingKey?: string;
}

/** How invalidations (tombstones) are sent. */
export const INVALIDATION: CommandOptions = { evenAfterFailure: true, replicated: true };

/** A command awaiting its answer, and how it fails when the answer is late. */
interface InFlight {
  readonly deadline: number;
  readonly expire: () => void;
}

/** Counters for metrics; monotonic since start. */
export interface RedisCounters {
  commands: number;
  errors: number;
  timeouts: number;
  shortCircuited: number;
}

/** Every connection to a Redis server: commands never wait for a connection, reconnection is automatic. */
const NODE_OPTIONS = {
  disableOfflineQueue: true,
  socket: {
    connectTimeout: 2_000,
    reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2_000),
  },
};

/** After a failure, commands fail fast for this long instead of each waiting out a timeout. */
const COOLDOWN_MS = 1_000;
/** How long start-up waits for the first connection before going on without Redis. */
const CONNECT_GRACE_MS = 1_000;

/**
 * The process's one Redis connection, owned by RedisModule. Every command goes through
 * `run`/`guard`, which bound it in time and fail fast while Redis is known to be away:
 * node-redis's own timeout stops at the socket write, so a stalled server (connected but
 * not answering) would otherwise hold requests forever. Commands are never queued while
 * disconnected; the client reconnects by itself.
 */
export class RedisConnection implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  private failingUntil = 0;
  private readonly failureWarning = new ThrottledWarning(this.logger);
  private readonly readyListeners: Array<() => void> = [];
  private readonly failureListeners: Array<() => void> = [];
  private readonly commandListeners: Array<(seconds: number, failed: boolean) => void> = [];
  readonly counters: RedisCounters = { commands: 0, errors: 0, timeouts: 0, shortCircuited: 0 };
  /** Commands sent and not yet answered, oldest first. */
  private readonly inFlight = new Set<InFlight>();
  private sweeper: NodeJS.Timeout | undefined;
  /** How often overdue commands are looked for: a timeout fires at most this much late. */
  private readonly sweepMs: number;
  readonly client: RedisClientType | RedisSentinelType | RedisClusterType | undefined;

  /** The client is the host's: shutdown leaves it open. */
  private readonly borrowed: boolean;

  constructor(
    private readonly options: RedisOptions,
    hostClient?: RedisClientType,
  ) {
    this.sweepMs = Math.max(5, Math.floor(options.commandTimeoutMs / 4));
    this.borrowed = hostClient !== undefined;
    this.client =
      hostClient !== undefined
        ? this.watch(hostClient)
        : options.cluster !== undefined
          ? this.createCluster(options.cluster, options.url)
          : options.sentinel !== undefined
            ? this.createSentinel(options.sentinel, options.url)
            : options.url === undefined
              ? undefined
              : this.createClient(options.url);
  }

  /** A connection over the host's client, which stays the host's to close. */
  static borrowing({ client, commandTimeoutMs = 200 }: BorrowedRedisClient): RedisConnection {
    return new RedisConnection(
      { url: undefined, commandTimeoutMs },
      client as unknown as RedisClientType,
    );
  }

  get configured(): boolean {
    return this.client !== undefined;
  }

  /**
   * Whether a script may touch keys of several slots. Not on Cluster: there, every step is
   * one key (or keys of one slot), and reads of keys on two shards are two commands.
   */
  get multiSlotScripts(): boolean {
    return this.options.cluster === undefined;
  }

  /** Connected (a Cluster client: open; its nodes' failures count below). */
  private get isUp(): boolean {
    const client = this.client;
    if (client === undefined) return false;
    return 'isReady' in client ? client.isReady : client.isOpen;
  }

  /** Connected, and no recent failure. */
  get healthy(): boolean {
    return this.isUp && Date.now() >= this.failingUntil;
  }

  /** Starts connecting; waits briefly so the first requests find the cache, never fails. */
  async connect(): Promise<void> {
    const client = this.client;
    if (client === undefined || client.isOpen) return;
    const connected = client.connect().then(
      () => true,
      () => false,
    );
    const grace = new Promise<boolean>((resolve) => {
      setTimeout(() => resolve(false), CONNECT_GRACE_MS).unref();
    });
    if (!(await Promise.race([connected, grace]))) {
      this.logger.warn('Redis is not reachable yet; serving without the cache until it is');
    }
  }

  /** Called on every (re)connection: what was missed while away can be applied then. */
  onReady(listener: () => void): void {
    this.readyListeners.push(listener);
  }

  /** Called on every failure (error, timeout, lost connection). */
  onFailure(listener: () => void): void {
    this.failureListeners.push(listener);
  }

  /** Called after every command with its duration and whether it failed (metrics). */
  onCommand(listener: (seconds: number, failed: boolean) => void): void {
    this.commandListeners.push(listener);
  }

  /**
   * Each server as a whole (the one, or every Cluster master), for INFO and SCAN; each of
   * their commands bounded in time like any other.
   */
  async nodes(): Promise<RedisNode[]> {
    const client = this.client;
    if (client === undefined) throw new RedisUnavailableError('not configured');
    const clients: Array<Pick<RedisClientType, 'info' | 'scan'>> =
      this.options.cluster === undefined
        ? [client]
        : await Promise.all(
            (client as RedisClusterType).masters.map((master) =>
              (client as RedisClusterType).nodeClient(master),
            ),
          );
    return clients.map((node) => ({
      info: (section) => this.guard(async () => String(await node.info(section))),
      scan: (cursor, options) =>
        this.guard(async () => {
          const reply = await node.scan(cursor, options);
          return { cursor: String(reply.cursor), keys: reply.keys.map(String) };
        }),
    }));
  }

  /** Runs a command on the shared client, bounded in time. */
  run<T>(command: (client: RedisClient) => Promise<T>, options: CommandOptions = {}): Promise<T> {
    const client = this.client as RedisClient | undefined;
    if (client === undefined) return Promise.reject(new RedisUnavailableError('not configured'));
    if (options.replicated !== true) return this.guard(() => command(client), options);
    return this.guard(async () => {
      const result = await command(client);
      await this.awaitReplica(options.routingKey);
      return result;
    }, options);
  }

  /** Whether Redis answers PING (on Cluster: every master). */
  async ping(): Promise<boolean> {
    const client = this.client;
    if (client === undefined) return false;
    return this.guard(async () => {
      if (this.options.cluster === undefined) {
        await (client as RedisClientType).ping();
      } else {
        const cluster = client as RedisClusterType;
        await Promise.all(
          cluster.masters.map(async (master) => (await cluster.nodeClient(master)).ping()),
        );
      }
      return true;
    }).catch(() => false);
  }

  /**
   * WAIT for one replica of the connection that made the write — the Sentinel master's, or
   * on Cluster the master of `routingKey`'s slot, when that shard has replicas.
   */
  private async awaitReplica(routingKey: string | undefined): Promise<void> {
    // Half the command's budget, so that Redis answers before the guard gives up.
    const timeout = Math.max(1, this.options.commandTimeoutMs >> 1);
    let waiter: Pick<RedisClientType, 'wait'> | undefined;
    if (this.options.sentinel !== undefined) waiter = this.client;
    if (this.options.cluster !== undefined && routingKey !== undefined) {
      const cluster = this.client as RedisClusterType;
      const shard = cluster.slots[calculateSlot(routingKey)];
      if (shard === undefined || (shard.replicas?.length ?? 0) === 0) return;
      waiter = await cluster.nodeClient(shard.master);
    }
    if (waiter === undefined) return;
    if ((await waiter.wait(1, timeout)) < 1) {
      throw new RedisUnavailableError('no replica acknowledged the write');
    }
  }

  /** Bounds any Redis-backed operation (such as a cache-manager call) in time. */
  guard<T>(operation: () => Promise<T>, options: CommandOptions = {}): Promise<T> {
    const client = this.client;
    const mayTry = this.healthy || (options.evenAfterFailure === true && this.isUp);
    if (client !== undefined && !mayTry) {
      this.counters.shortCircuited++;
      return Promise.reject(
        new RedisUnavailableError(this.isUp ? 'recent failure' : 'disconnected'),
      );
    }
    this.counters.commands++;
    const observed = this.commandListeners.length > 0;
    const startedAt = observed ? performance.now() : 0;
    const report = (failed: boolean) => {
      if (!observed) return;
      const seconds = (performance.now() - startedAt) / 1_000;
      for (const listener of this.commandListeners) listener(seconds, failed);
    };
    return new Promise<T>((resolve, reject) => {
      const entry: InFlight = {
        deadline: Date.now() + this.options.commandTimeoutMs,
        expire: () => {
          this.counters.timeouts++;
          const error = new RedisUnavailableError(
            `no answer within ${this.options.commandTimeoutMs} ms`,
          );
          this.recordFailure(error);
          report(true);
          reject(error);
        },
      };
      this.inFlight.add(entry);
      this.sweeper ??= setInterval(() => this.expireOverdue(), this.sweepMs).unref();
      let attempt: Promise<T>;
      try {
        attempt = operation();
      } catch (error) {
        attempt = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      attempt.then(
        (value) => {
          if (!this.inFlight.delete(entry)) return;
          report(false);
          resolve(value);
        },
        (error: unknown) => {
          if (!this.inFlight.delete(entry)) return;
          report(true);
          // An error reply is Redis answering (a script error, a wrong type): not an outage.
          if (error instanceof ErrorReply) {
            reject(error);
            return;
          }
          this.recordFailure(error);
          reject(
            error instanceof RedisUnavailableError
              ? error
              : new RedisUnavailableError(errorText(error)),
          );
        },
      );
    });
  }

  /**
   * Fails the commands past their deadline. One timer for all of them (not one per
   * command), and they carry one timeout, so the overdue ones are the oldest. Decided after
   * this turn's I/O: when the process itself stalled (a long GC, a starved CPU), a reply may
   * be waiting in the socket, and then it wins.
   */
  private expireOverdue(): void {
    const now = Date.now();
    const overdue: InFlight[] = [];
    for (const entry of this.inFlight) {
      if (entry.deadline > now) break;
      overdue.push(entry);
    }
    if (overdue.length === 0) return;
    setImmediate(() => {
      for (const entry of overdue) if (this.inFlight.delete(entry)) entry.expire();
    });
  }

  /**
   * Drops the connection. Not node-redis's graceful close: it waits until every command in
   * flight is answered, which a dead or stalled connection never does, and it cannot be
   * cut short once begun. By now HTTP is closed, so nothing in flight is a request's: a
   * background drain that loses its commands leaves its outbox rows for the next process.
   */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    if (!this.borrowed && this.client?.isOpen === true) await this.client.destroy();
  }

  private createClient(url: string): RedisClientType {
    return this.watch(createClient({ url, ...NODE_OPTIONS }));
  }

  private watch(client: RedisClientType): RedisClientType {
    client.on('error', (error: unknown) => this.recordFailure(error));
    client.on('ready', () => this.connected('Redis connected'));
    return client;
  }

  private createSentinel(
    sentinel: NonNullable<RedisOptions['sentinel']>,
    url: string | undefined,
  ): RedisSentinelType {
    const credentials = url === undefined ? undefined : new URL(url);
    const client = createSentinel({
      name: sentinel.masterName,
      sentinelRootNodes: sentinel.nodes.map((node) => ({ ...node })),
      nodeClientOptions: {
        ...NODE_OPTIONS,
        // No reconnecting to a lost master: a dead connection makes the Sentinel client ask
        // the sentinels again, where retrying one address could wait on it until it returns.
        socket: { ...NODE_OPTIONS.socket, reconnectStrategy: false },
        username: decodeURIComponent(credentials?.username ?? '') || undefined,
        password: decodeURIComponent(credentials?.password ?? '') || undefined,
        database: Number(credentials?.pathname.slice(1) || 0),
      },
      sentinelClientOptions: { socket: NODE_OPTIONS.socket },
      // One connection to the master: WAIT counts the writes made on its own connection.
      masterPoolSize: 1,
    });
    client.on('error', (error: unknown) => this.recordFailure(error));
    client.on(
      'topology-change',
      (event: { type: string; node?: { host: string; port: number } }) => {
        if (event.type === 'MASTER_CHANGE' && event.node !== undefined) {
          this.connected(`Redis master is ${event.node.host}:${event.node.port}`);
        }
      },
    );
    return client;
  }

  private createCluster(
    cluster: NonNullable<RedisOptions['cluster']>,
    url: string | undefined,
  ): RedisClusterType {
    const credentials = url === undefined ? undefined : new URL(url);
    const client = createCluster({
      rootNodes: cluster.nodes.map((node) => ({ socket: { host: node.host, port: node.port } })),
      defaults: {
        ...NODE_OPTIONS,
        username: decodeURIComponent(credentials?.username ?? '') || undefined,
        password: decodeURIComponent(credentials?.password ?? '') || undefined,
      },
      // Writes and reads on masters only: a replica may lag behind a tombstone.
      useReplicas: false,
    });
    client.on('error', (error: unknown) => this.recordFailure(error));
    client.on('node-error', (error: unknown) => this.recordFailure(error));
    client.on('connect', () => this.connected('Redis Cluster connected'));
    client.on('node-ready', (node: { host?: string; port?: number }) =>
      this.connected(`Redis Cluster node ${node.host ?? '?'}:${node.port ?? '?'} ready`),
    );
    return client;
  }

  private connected(message: string): void {
    this.failingUntil = 0;
    this.logger.log(message);
    for (const listener of this.readyListeners) listener();
  }

  private recordFailure(error: unknown): void {
    this.counters.errors++;
    this.failingUntil = Date.now() + COOLDOWN_MS;
    for (const listener of this.failureListeners) listener();
    this.failureWarning.warn(`Redis failure (falling back): ${errorText(error)}`);
  }
}
