import { Logger } from '@nestjs/common';
import { type Backoff, backoffDelayMs } from './backoff.js';
import { errorText } from './error-text.js';
import { ThrottledWarning } from './throttled-warning.js';

export interface PeriodicWorkOptions {
  /** Names the work in the log. */
  readonly name: string;
  /** One round of work; true when it found work (then the next round starts at once). */
  readonly round: () => Promise<boolean | void>;
  /** Pause between rounds that found nothing; `nudge` ends a pause early. */
  readonly intervalMs: number;
  /** Rounds running side by side (default 1). */
  readonly lanes?: number;
  /** After failed rounds in a row (default: from 500 ms, doubling, up to 30 s). */
  readonly backoff?: Backoff;
  /** Wait one interval before the first round (default: the first round runs at `start`). */
  readonly pauseFirst?: boolean;
}

const DEFAULT_BACKOFF: Backoff = { firstMs: 500, maxMs: 30_000 };

/**
 * The one runner of background work in a process: rounds on an interval, at once again
 * while they find work, early when nudged; a failing round is logged (throttled) and retried
 * with backoff; `stop` lets running rounds finish. Timers never keep the process alive.
 */
export class PeriodicWork {
  private readonly warning: ThrottledWarning;
  private running = false;
  private lanes: Array<Promise<void>> = [];
  private wakers = new Set<() => void>();

  constructor(private readonly options: PeriodicWorkOptions) {
    this.warning = new ThrottledWarning(new Logger(options.name));
  }

  get started(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.lanes = Array.from({ length: this.options.lanes ?? 1 }, () => this.lane());
  }

  /** There may be work: idle lanes look now. */
  nudge(): void {
    const wakers = [...this.wakers];
    this.wakers.clear();
    for (const wake of wakers) wake();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.nudge();
    await Promise.all(this.lanes);
    this.lanes = [];
  }

  private async lane(): Promise<void> {
    if (this.options.pauseFirst === true) await this.pause(this.options.intervalMs);
    let failures = 0;
    while (this.running) {
      let busy = false;
      try {
        busy = (await this.options.round()) === true;
        failures = 0;
      } catch (error) {
        failures += 1;
        this.warning.warn(`failed, will retry: ${errorText(error)}`);
      }
      if (!this.running) return;
      if (failures > 0)
        await this.pause(backoffDelayMs(failures, this.options.backoff ?? DEFAULT_BACKOFF));
      else if (!busy) await this.pause(this.options.intervalMs);
    }
  }

  /** Sleeps for `ms`, or until nudged or stopped. */
  private pause(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.wakers.add(wake);
    });
  }
}
