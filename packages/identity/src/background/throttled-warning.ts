import type { Logger } from '@nestjs/common';

/**
 * A warning that a failing loop would repeat many times a second (a store that is down):
 * logged at most once per `everyMs`, so an outage leaves a readable log.
 */
export class ThrottledWarning {
  private lastAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly everyMs = 10_000,
  ) {}

  warn(message: string): void {
    const now = Date.now();
    if (now - this.lastAt < this.everyMs) return;
    this.lastAt = now;
    this.logger.warn(message);
  }
}
