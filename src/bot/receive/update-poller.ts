import { BackgroundJob } from '@exchanger/identity';
import { Injectable } from '@nestjs/common';
import { InjectBotConfig, type TelegramConfig } from '../bot-config.js';
import { BotStateStore } from '../bot-state.js';
import {
  ALLOWED_UPDATES,
  apiSignal,
  POLL_TIMEOUT_SECONDS,
  TelegramClient,
} from '../send/telegram-client.js';
import { receivedUpdate } from '../understand/update-shape.js';
import { UpdateInbox } from './update-inbox.js';
import { UpdateWorker } from './update-worker.js';

/**
 * Long polling (BOT_MODE=polling, for development): getUpdates into the same inbox as the
 * webhook. A batch and the next offset (`bot_state.polling_offset`) are stored in one
 * transaction, so a crash neither loses nor repeats an update. Telegram allows one poller
 * per bot: a second process polling gets 409 and keeps retrying with backoff.
 */
@Injectable()
export class UpdatePoller extends BackgroundJob {
  private readonly aborted = new AbortController();
  private webhookRemoved = false;

  constructor(
    @InjectBotConfig() config: TelegramConfig | null,
    private readonly client: TelegramClient,
    private readonly inbox: UpdateInbox,
    private readonly state: BotStateStore,
    private readonly worker: UpdateWorker,
  ) {
    super();
    if (config?.mode !== 'polling') return;
    // Each round is a long poll: the next starts as soon as one ends.
    this.runs({
      name: 'UpdatePoller',
      round: () => this.round(),
      intervalMs: 0,
    });
  }

  override async onModuleDestroy(): Promise<void> {
    // Ends a poll in progress.
    this.aborted.abort();
    await super.onModuleDestroy();
  }

  /** One long poll; true while polling goes on, so that the next starts at once. */
  private async round(): Promise<boolean> {
    const signal = this.aborted.signal;
    try {
      if (!this.webhookRemoved) {
        // getUpdates is refused while a webhook is set; pending updates are kept.
        await this.client.api.deleteWebhook({ drop_pending_updates: false }, apiSignal(signal));
        this.webhookRemoved = true;
      }
      const offset = (await this.state.get('polling_offset'))?.offset ?? 0;
      const updates = await this.client.pollingApi.getUpdates(
        { offset, timeout: POLL_TIMEOUT_SECONDS, allowed_updates: [...ALLOWED_UPDATES] },
        apiSignal(signal),
      );
      if (updates.length === 0) return true;
      await this.inbox.transaction(async (manager) => {
        for (const update of updates) {
          const received = receivedUpdate(update);
          if (typeof received !== 'string') await this.inbox.store(received, manager);
        }
        const last = Math.max(...updates.map((update) => update.update_id));
        await this.state.set('polling_offset', { offset: last + 1 }, manager);
      });
      this.worker.nudge();
      return true;
    } catch (error) {
      if (signal.aborted) return false;
      await this.state.recordError('getUpdates', error);
      throw error;
    }
  }
}
