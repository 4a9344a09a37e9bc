import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  createClient,
  createSentinel,
  ErrorReply,
  type RedisClientType,
  type RedisSentinelType,
} from '@redis/client';

/**
 * The commands the application sends. A plain client and a Sentinel-managed one both
 * offer them; keeping to this list keeps the code working on either.
 */
export type RedisClient = Pick<
  RedisClientType,
  | 'get'
  | 'set'
  | 'del'
  | 'incr'
  | 'pExpire'
  | 'pTTL'
  | 'eval'
  | 'evalSha'
  | 'ping'
  | 'wait'
  | 'info'
  | 'scan'
> & { multi(): RedisBatch };

type SetOptions = Parameters<RedisClientType['set']>[2];

/** A pipeline of the commands above, sent in one write (`execAsPipeline`), not a transaction. */
export interface RedisBatch {
  get(key: string): RedisBatch;
  set(key: string, value: string, options?: SetOptions): RedisBatch;
  incr(key: string): RedisBatch;
  pExpire(key: string, ms: number, mode?: 'NX' | 'XX' | 'GT' | 'LT'): RedisBatch;
  pTTL(key: string): RedisBatch;
  execAsPipeline(): Promise<unknown[]>;
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
  /** Upper bound on one command, after which the caller falls back. */
  readonly commandTimeoutMs: number;
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
   * With Sentinel, succeed only once a replica holds the write (WAIT): a failover promotes a
   * replica, and a tombstone that only the lost master held would bring a revoked session back.
   */
  readonly replicated?: boolean;
}

/** How invalidations (tombstones) are sent. */
export const INVALIDATION: CommandOptions = { evenAfterFailure: true, replicated: true };

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
const ERROR_LOG_INTERVAL_MS = 10_000;

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
  private lastErrorLogAt = 0;
  private readonly readyListeners: Array<() => void> = [];
  private readonly failureListeners: Array<() => void> = [];
  private readonly commandListeners: Array<(seconds: number, failed: boolean) => void> = [];
  readonly counters: RedisCounters = { commands: 0, errors: 0, timeouts: 0, shortCircuited: 0 };
  readonly client: RedisClientType | RedisSentinelType | undefined;

  constructor(private readonly options: RedisOptions) {
    this.client =
      options.sentinel !== undefined
        ? this.createSentinel(options.sentinel, options.url)
        : options.url === undefined
          ? undefined
          : this.createClient(options.url);
  }

  get configured(): boolean {
    return this.client !== undefined;
  }

  /** Connected, and no recent failure. */
  get healthy(): boolean {
    return this.client?.isReady === true && Date.now() >= this.failingUntil;
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

  /** Runs a raw command on the shared client, bounded in time. */
  run<T>(command: (client: RedisClient) => Promise<T>, options: CommandOptions = {}): Promise<T> {
    const client = this.client;
    if (client === undefined) return Promise.reject(new RedisUnavailableError('not configured'));
    if (options.replicated !== true || this.options.sentinel === undefined)
      return this.guard(() => command(client), options);
    return this.guard(async () => {
      const result = await command(client);
      // Half the command's budget, so that Redis answers before the guard gives up.
      const acknowledged = await client.wait(1, Math.max(1, this.options.commandTimeoutMs >> 1));
      if (acknowledged < 1) throw new RedisUnavailableError('no replica acknowledged the write');
      return result;
    }, options);
  }

  /** Bounds any Redis-backed operation (such as a cache-manager call) in time. */
  async guard<T>(operation: () => Promise<T>, options: CommandOptions = {}): Promise<T> {
    const client = this.client;
    const mayTry = this.healthy || (options.evenAfterFailure === true && client?.isReady === true);
    if (client !== undefined && !mayTry) {
      this.counters.shortCircuited++;
      throw new RedisUnavailableError(client.isReady ? 'recent failure' : 'disconnected');
    }
    this.counters.commands++;
    const startedAt = performance.now();
    let failed = false;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Decided after this turn's I/O: when the process itself stalled (a long GC, a
        // starved CPU), the reply may be waiting in the socket, and then it wins.
        setImmediate(() => {
          if (settled) return;
          this.counters.timeouts++;
          reject(new RedisUnavailableError(`no answer within ${this.options.commandTimeoutMs} ms`));
        });
      }, this.options.commandTimeoutMs);
    });
    try {
      const attempt = operation().finally(() => {
        settled = true;
      });
      return await Promise.race([attempt, timeout]);
    } catch (error) {
      failed = true;
      // An error reply is Redis answering (a script error, a wrong type): not an outage.
      if (error instanceof ErrorReply) throw error;
      this.recordFailure(error);
      throw error instanceof RedisUnavailableError
        ? error
        : new RedisUnavailableError(errorMessage(error));
    } finally {
      clearTimeout(timer);
      if (this.commandListeners.length > 0) {
        const seconds = (performance.now() - startedAt) / 1_000;
        for (const listener of this.commandListeners) listener(seconds, failed);
      }
    }
  }

  /**
   * Drops the connection. Not node-redis's graceful close: it waits until every command in
   * flight is answered, which a dead or stalled connection never does, and it cannot be
   * cut short once begun. By now HTTP is closed, so nothing in flight is a request's: a
   * background drain that loses its commands leaves its outbox rows for the next process.
   */
  async onApplicationShutdown(): Promise<void> {
    if (this.client?.isOpen === true) await this.client.destroy();
  }

  private createClient(url: string): RedisClientType {
    const client = createClient({ url, ...NODE_OPTIONS });
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

  private connected(message: string): void {
    this.failingUntil = 0;
    this.logger.log(message);
    for (const listener of this.readyListeners) listener();
  }

  private recordFailure(error: unknown): void {
    this.counters.errors++;
    this.failingUntil = Date.now() + COOLDOWN_MS;
    for (const listener of this.failureListeners) listener();
    const now = Date.now();
    if (now - this.lastErrorLogAt >= ERROR_LOG_INTERVAL_MS) {
      this.lastErrorLogAt = now;
      this.logger.warn(`Redis failure (falling back): ${errorMessage(error)}`);
    }
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
