import { Logger } from '@nestjs/common';
import { PeriodicWork } from '../background/index.js';
import type { NamespacedStore } from '../redis/index.js';
import type { InvalidationOutbox } from './invalidation-outbox.js';
import type { Invalidation, SessionCache } from './session-cache.js';

/**
 * Decides when this process may believe the session cache. It stops on any Redis failure
 * (a revocation may have missed Redis), and starts again only after every pending
 * invalidation in the outbox has been applied — on reconnection, on start, and on a
 * timer; the timer also applies, within one interval, what another process could not.
 */
export class CacheTrust {
  private readonly logger = new Logger('CacheTrust');
  private trusted = false;
  private reconciling: Promise<void> | undefined;
  private readonly poll: PeriodicWork;

  constructor(
    private readonly cache: SessionCache,
    private readonly outbox: InvalidationOutbox,
    private readonly store: NamespacedStore,
    pollMs: number,
  ) {
    this.poll = new PeriodicWork({
      name: 'CacheTrust',
      round: () => this.reconcile(),
      intervalMs: pollMs,
      pauseFirst: true,
    });
    store.onFailure(() => {
      if (this.trusted)
        this.logger.warn('Session cache distrusted until pending invalidations are applied');
      this.trusted = false;
    });
    store.onReady(() => void this.reconcile());
  }

  /** The cache may be read and written now. */
  get usable(): boolean {
    return this.trusted && this.store.healthy;
  }

  async start(): Promise<void> {
    if (!this.store.usesRedis) {
      // A process-memory cache starts empty, so nothing in it can be stale; and the outbox
      // holds what Redis missed, which is for the processes that use Redis to apply.
      this.trusted = true;
      return;
    }
    await this.reconcile();
    this.poll.start();
  }

  stop(): Promise<void> {
    return this.poll.stop();
  }

  /**
   * After a committed change: tell the cache, then forget the outbox rows. If the cache
   * cannot be told, the rows stay for the next drain and this process stops trusting it.
   */
  async apply(invalidations: readonly Invalidation[], outboxIds: readonly string[]): Promise<void> {
    try {
      await this.cache.invalidate(invalidations);
    } catch {
      this.trusted = false;
      return;
    }
    await this.outbox.remove(outboxIds).catch(() => undefined);
  }

  /** Applies every pending invalidation; trusts the cache once none is left. One run at a time. */
  reconcile(): Promise<void> {
    this.reconciling ??= this.drainAll()
      .catch((error: unknown) => {
        this.logger.debug(`invalidations not applied yet: ${String(error)}`);
      })
      .finally(() => {
        this.reconciling = undefined;
      });
    return this.reconciling;
  }

  private async drainAll(): Promise<void> {
    while ((await this.outbox.pending()) > 0) {
      // Zero handled: what is left is being applied by another process right now.
      if ((await this.outbox.drainBatch((batch) => this.cache.invalidate(batch))) === 0) break;
    }
    if (this.trusted) return;
    // Trust only an empty outbox, including rows another process holds.
    if ((await this.outbox.pending()) === 0 && this.store.healthy) {
      this.trusted = true;
      this.logger.log('Session cache trusted');
    }
  }
}
