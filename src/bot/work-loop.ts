import { Logger } from '@nestjs/common';

/** After a failed round, the next waits this long times 2^(failures - 1), at most MAX_PAUSE_MS. */
const FIRST_PAUSE_MS = 500;
const MAX_PAUSE_MS = 30_000;
/** A failing loop logs at most this often. */
const WARN_EVERY_MS = 10_000;

/**
 * Background work of the bot in this process: `round` runs again at once while it finds
 * work, otherwise after `intervalMs` or as soon as something nudges it; `lanes` rounds run
 * side by side. A failing round (a database that is down) is logged, at most every 10 s,
 * and retried with backoff. `stop` lets the running rounds finish.
 */
export class WorkLoop {
  private readonly logger: Logger;
  private running = false;
  private lanes: Array<Promise<void>> = [];
  private wakers: Array<() => void> = [];
  private lastWarningAt = 0;

  constructor(
    readonly name: string,
    private readonly round: () => Promise<boolean>,
    private readonly intervalMs: number,
    private readonly laneCount = 1,
  ) {
    this.logger = new Logger(name);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.lanes = Array.from({ length: this.laneCount }, () => this.lane());
  }

  /** There may be work: idle lanes look now. */
  nudge(): void {
    for (const wake of this.wakers.splice(0)) wake();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.nudge();
    await Promise.all(this.lanes);
    this.lanes = [];
  }

  private async lane(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let busy = false;
      try {
        busy = await this.round();
        failures = 0;
      } catch (error) {
        failures += 1;
        this.warn(error);
      }
      if (!this.running) return;
      if (failures > 0)
        await this.pause(Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (failures - 1)));
      else if (!busy) await this.pause(this.intervalMs);
    }
  }

  /** Sleeps for `ms`, or until nudged or stopped. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.wakers = this.wakers.filter((waker) => waker !== wake);
        resolve();
      }, ms);
      timer.unref();
      this.wakers.push(wake);
    });
  }

  private warn(error: unknown): void {
    if (Date.now() - this.lastWarningAt < WARN_EVERY_MS) return;
    this.lastWarningAt = Date.now();
    this.logger.warn(
      `failed, will retry: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
