import { BackgroundJob } from '@exchanger/identity';
import { Injectable } from '@nestjs/common';
import { InjectBotConfig, type TelegramConfig } from '../bot-config.js';
import { OutgoingQueue } from '../send/outgoing-queue.js';
import { KEEP_HANDLED_MS, UpdateInbox } from './update-inbox.js';

/** Handled updates and settled calls are purged about this often. */
const PURGE_INTERVAL_MS = 3_600_000;

/**
 * Deletes handled updates and settled calls a week on, in batches; what was said stays in
 * `messages`, what became of a notification in `notifications`.
 */
@Injectable()
export class HandledPurge extends BackgroundJob {
  constructor(
    @InjectBotConfig() config: TelegramConfig | null,
    private readonly inbox: UpdateInbox,
    private readonly outgoing: OutgoingQueue,
  ) {
    super();
    if (config === null) return;
    this.runs({
      name: 'HandledPurge',
      // A full batch: another follows at once.
      round: async () =>
        (await this.inbox.purge()) + (await this.outgoing.purge(KEEP_HANDLED_MS)) > 0,
      intervalMs: PURGE_INTERVAL_MS,
      pauseFirst: true,
    });
  }
}
