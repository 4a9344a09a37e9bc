import { errorText } from '@exchanger/identity';
import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { InjectBotDataSource } from '../database/data-sources/bot.js';

/** What the bot keeps about itself in `bot_state`, by key. */
export interface BotStateValues {
  /** Telegram's getMe answer, so that a start while Telegram is down can still handle updates. */
  bot_info: Record<string, unknown>;
  /** Polling mode: the next update_id to ask getUpdates for. */
  polling_offset: { offset: number };
  /** Webhook mode: what was registered with setWebhook, and when. */
  webhook: { url: string; setAt: string };
  /** The last identity security event whose alert the bot has queued (or skipped). */
  alerts_cursor: { eventId: string };
  /** The last failure talking to Telegram or handling an update. */
  last_error: { at: string; where: string; message: string };
}

export type BotStateKey = keyof BotStateValues;

/** `bot_state`: the bot's own state, one JSON value per key. */
@Injectable()
export class BotStateStore {
  constructor(@InjectBotDataSource() private readonly dataSource: DataSource) {}

  async get<K extends BotStateKey>(key: K): Promise<BotStateValues[K] | undefined> {
    const rows: Array<{ value: BotStateValues[K] }> = await this.dataSource.query(
      'SELECT value FROM bot_state WHERE key = $1',
      [key],
    );
    return rows[0]?.value;
  }

  async set<K extends BotStateKey>(
    key: K,
    value: BotStateValues[K],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO bot_state (key, value) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [key, value],
    );
  }

  /** Records a failure; never throws (the database may be what failed). */
  async recordError(where: string, error: unknown): Promise<void> {
    await this.set('last_error', {
      at: new Date().toISOString(),
      where,
      message: errorText(error),
    }).catch(() => undefined);
  }
}
