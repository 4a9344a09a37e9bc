import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PeriodicWork, type PeriodicWorkOptions } from './periodic-work.js';

/**
 * A Nest provider that runs one piece of periodic work with the application: started once
 * the application has bootstrapped, stopped (running rounds finished) when it shuts down.
 * A subclass calls `runs` in its constructor, or not at all when it has nothing to do in
 * this process (a feature turned off).
 */
export abstract class BackgroundJob implements OnApplicationBootstrap, OnModuleDestroy {
  private work: PeriodicWork | undefined;

  protected runs(options: PeriodicWorkOptions): void {
    this.work = new PeriodicWork(options);
  }

  onApplicationBootstrap(): void {
    this.work?.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.work?.stop();
  }

  /** There may be work: the job looks now. */
  nudge(): void {
    this.work?.nudge();
  }
}
