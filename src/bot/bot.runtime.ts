import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import { AppContext, CONTEXTS, Database } from '../common/app-context.js';
import { InjectStore, type NamespacedStore } from '../redis/index.js';
import { InjectBotConfig, type TelegramConfig } from './bot-config.js';
import { BotStateStore } from './bot-state.js';
import { BotHandlers } from './dialogue/bot-handlers.js';
import { ConversationStore } from './dialogue/conversation-store.js';
import { Records } from './dialogue/records.js';
import { Speakers } from './dialogue/speakers.js';
import { OrderNotifications } from './notifications/order-notifications.js';
import { OutgoingQueue } from './telegram/outgoing-queue.js';
import { OutgoingSender } from './telegram/outgoing-sender.js';
import { SendLimiter } from './telegram/send-limiter.js';
import { ALLOWED_UPDATES, apiSignal, TelegramClient } from './telegram/telegram-client.js';
import { KEEP_HANDLED_MS, UpdateInbox } from './updates/update-inbox.js';
import { UpdatePoller } from './updates/update-poller.js';
import { UpdateWorker } from './updates/update-worker.js';
import { WorkLoop } from './work-loop.js';

/** Handled updates are purged about this often. */
const PURGE_INTERVAL_MS = 3_600_000;
const WEBHOOK_RETRY_MS = 30_000;

/** What runs while the bot is on. */
interface Running {
  readonly client: TelegramClient;
  readonly updates: WorkLoop;
  readonly sender: WorkLoop;
  readonly notifications: OrderNotifications;
  readonly poller: { readonly loop: WorkLoop; readonly poller: UpdatePoller } | undefined;
  readonly purge: NodeJS.Timeout;
}

/**
 * The bot in this process, when TELEGRAM_BOT_TOKEN is set: the grammY client, the update
 * workers, the outgoing sender, the relay of order events and, in polling mode, the
 * poller. Every process runs all of them; the database decides who does what (each update,
 * call and message is claimed by one). Start-up never waits for Telegram.
 */
@Injectable()
export class BotRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Bot');
  private running: Running | undefined;
  private stopped = false;

  constructor(
    @InjectBotConfig() private readonly config: TelegramConfig | null,
    @InjectDataSource(Database.Web) private readonly webDataSource: DataSource,
    @InjectDataSource(Database.Bot) private readonly botDataSource: DataSource,
    @InjectStore(CONTEXTS[AppContext.Telegram].cacheNamespace)
    private readonly store: NamespacedStore,
    private readonly state: BotStateStore,
    private readonly inbox: UpdateInbox,
    private readonly outgoing: OutgoingQueue,
    private readonly conversations: ConversationStore,
    private readonly speakers: Speakers,
    private readonly records: Records,
    private readonly handlers: BotHandlers,
  ) {}

  onApplicationBootstrap(): void {
    const config = this.config;
    if (config === null) {
      this.logger.log('TELEGRAM_BOT_TOKEN is not set: the Telegram bot is off');
      return;
    }
    const limiter = new SendLimiter(this.store, {
      perSecond: config.sendPerSecond,
      chatIntervalMs: config.chatSendIntervalMs,
    });
    const client = new TelegramClient(config, limiter, this.state);
    this.handlers.install(client.bot);
    const sending = new OutgoingSender(
      this.outgoing,
      client,
      limiter,
      this.conversations,
      this.state,
    );
    const sender = new WorkLoop('OutgoingSender', () => sending.round(), config.pollIntervalMs);
    const worker = new UpdateWorker(
      this.inbox,
      client,
      this.conversations,
      this.speakers,
      this.records,
      this.outgoing,
      this.state,
      () => sender.nudge(),
    );
    const updates = new WorkLoop(
      'UpdateWorker',
      () => worker.round(),
      config.pollIntervalMs,
      config.updateConcurrency,
    );
    const notifications = new OrderNotifications(
      this.webDataSource,
      this.botDataSource,
      this.conversations,
      this.speakers,
      this.outgoing,
      config.pollIntervalMs,
      () => sender.nudge(),
    );
    let poller: Running['poller'];
    if (config.mode === 'polling') {
      const polling = new UpdatePoller(client, this.inbox, this.state, () => updates.nudge());
      poller = { poller: polling, loop: new WorkLoop('UpdatePoller', () => polling.round(), 0) };
    }
    const purge = setInterval(() => void this.purge(), PURGE_INTERVAL_MS);
    purge.unref();
    this.running = { client, updates, sender, notifications, poller, purge };
    updates.start();
    sender.start();
    notifications.start();
    poller?.loop.start();
    if (config.mode === 'webhook' && config.webhookUrl !== undefined)
      void this.registerWebhook(client, config);
    this.logger.log(`Telegram bot on (${config.mode})`);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    const running = this.running;
    if (running === undefined) return;
    this.running = undefined;
    clearInterval(running.purge);
    running.poller?.poller.stop();
    await Promise.all([
      running.poller?.loop.stop(),
      running.updates.stop(),
      running.sender.stop(),
      running.notifications.stop(),
    ]);
  }

  /** Handled updates and settled calls, a week on: their records stay in messages and notifications. */
  private async purge(): Promise<void> {
    try {
      while ((await this.inbox.purge()) > 0) {
        // next batch
      }
      while ((await this.outgoing.purge(KEEP_HANDLED_MS)) > 0) {
        // next batch
      }
    } catch (error) {
      this.logger.warn(`purge failed, will retry: ${String(error)}`);
    }
  }

  /** Stored updates may be waiting: the workers look now. */
  updatesArrived(): void {
    this.running?.updates.nudge();
  }

  /**
   * Registers TELEGRAM_WEBHOOK_URL with the secret (setWebhook is idempotent), retrying in
   * the background until Telegram takes it; bot_state keeps what was set.
   */
  private async registerWebhook(client: TelegramClient, config: TelegramConfig): Promise<void> {
    const url = config.webhookUrl as string;
    while (!this.stopped) {
      try {
        await client.api.setWebhook(
          url,
          {
            secret_token: config.webhookSecret,
            allowed_updates: [...ALLOWED_UPDATES],
          },
          apiSignal(AbortSignal.timeout(10_000)),
        );
        await this.state.set('webhook', { url, setAt: new Date().toISOString() });
        return;
      } catch (error) {
        await this.state.recordError('setWebhook', error);
        this.logger.warn(`setWebhook failed, will retry: ${String(error)}`);
        await sleep(WEBHOOK_RETRY_MS, undefined, { ref: false });
      }
    }
  }
}
