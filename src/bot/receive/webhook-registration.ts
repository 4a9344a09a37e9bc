import { errorText, BackgroundJob, ThrottledWarning } from '@exchanger/identity';
import { Injectable, Logger } from '@nestjs/common';
import { InjectBotConfig, type TelegramConfig } from '../bot-config.js';
import { BotStateStore } from '../bot-state.js';
import { ALLOWED_UPDATES, apiSignal, TelegramClient } from '../send/telegram-client.js';

/** setWebhook is tried again this long after a failure. */
const RETRY_MS = 30_000;

/**
 * Webhook mode with TELEGRAM_WEBHOOK_URL: registers the URL and the secret with Telegram
 * (setWebhook is idempotent), trying again in the background until Telegram takes it, so
 * that start-up never waits for Telegram; `bot_state` keeps what was set.
 */
@Injectable()
export class WebhookRegistration extends BackgroundJob {
  private readonly warning = new ThrottledWarning(new Logger('WebhookRegistration'), RETRY_MS);
  private registered = false;

  constructor(
    @InjectBotConfig() private readonly config: TelegramConfig | null,
    private readonly client: TelegramClient,
    private readonly state: BotStateStore,
  ) {
    super();
    if (config?.mode !== 'webhook' || config.webhookUrl === undefined) return;
    this.runs({
      name: 'WebhookRegistration',
      round: () => this.register(),
      intervalMs: RETRY_MS,
    });
  }

  private async register(): Promise<void> {
    const config = this.config;
    if (this.registered || config?.webhookUrl === undefined) return;
    try {
      await this.client.api.setWebhook(
        config.webhookUrl,
        { secret_token: config.webhookSecret, allowed_updates: [...ALLOWED_UPDATES] },
        apiSignal(AbortSignal.timeout(10_000)),
      );
      await this.state.set('webhook', { url: config.webhookUrl, setAt: new Date().toISOString() });
      this.registered = true;
    } catch (error) {
      await this.state.recordError('setWebhook', error);
      this.warning.warn(`setWebhook failed, will retry: ${errorText(error)}`);
    }
  }
}
