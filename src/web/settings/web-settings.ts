import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import {
  checkedSetting,
  type SettingDeclaration,
  type SettingView,
  type StoredSetting,
  settingView,
  storedOrDefault,
  unknownSetting,
} from '../../common/settings.js';
import { InjectWebDataSource } from '../../database/data-sources/web.js';

interface Declaration<T> extends SettingDeclaration<T> {
  readonly defaultValue: T;
}

function declare<T>(declaration: Declaration<T>): Declaration<T> {
  return declaration;
}

/** Every setting of the web application; keys not declared here do not exist. */
export const WEB_SETTINGS = {
  'orders.requireVerifiedEmail': declare({
    schema: z.boolean({ message: 'must be true or false' }),
    description:
      'Placing an order (on the web or in the bot) needs a verified email address; without one the refusal says how to verify it',
    defaultValue: false,
  }),
} as const;

export type WebSettingKey = keyof typeof WEB_SETTINGS;
type WebSettingValue<K extends WebSettingKey> = z.infer<(typeof WEB_SETTINGS)[K]['schema']>;

export function isWebSettingKey(key: string): key is WebSettingKey {
  return Object.hasOwn(WEB_SETTINGS, key);
}

interface SettingRow {
  readonly key: string;
  readonly value: unknown;
  readonly updated_by: string | null;
  readonly updated_at: Date;
}

/**
 * The web application's run-time settings, in its own database (`web_settings`), so that a
 * process serving only the web reads them. Read where they apply, in the transaction that
 * applies them: a change holds from the next request on, in every process.
 */
@Injectable()
export class WebSettings {
  constructor(@InjectWebDataSource() private readonly dataSource: DataSource) {}

  /** The stored value if valid, else the default. */
  async get<K extends WebSettingKey>(
    key: K,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<WebSettingValue<K>> {
    const rows: SettingRow[] = await manager.query(
      'SELECT key, value, updated_by, updated_at FROM web_settings WHERE key = $1',
      [key],
    );
    return valueOf(key, rows[0]);
  }

  async list(): Promise<SettingView[]> {
    const rows: SettingRow[] = await this.dataSource.query(
      'SELECT key, value, updated_by, updated_at FROM web_settings',
    );
    return (Object.keys(WEB_SETTINGS) as WebSettingKey[]).map((key) => {
      const declared = WEB_SETTINGS[key];
      const row = rows.find((candidate) => candidate.key === key);
      return settingView(key, declared, declared.defaultValue, storedOf(row));
    });
  }

  /**
   * Validates and stores a value; `alongWith` runs in the same transaction with the values
   * before and after (the admin application writes its audit message there).
   */
  async set(
    key: string,
    value: unknown,
    updatedBy: string,
    alongWith?: (manager: EntityManager, before: unknown, after: unknown) => Promise<void>,
  ): Promise<void> {
    if (!isWebSettingKey(key)) throw unknownSetting(key);
    const checked = checkedSetting(key, WEB_SETTINGS[key], value);
    await this.dataSource.transaction(async (manager) => {
      // The row is locked while it changes, so that two changes audit what each replaced.
      const rows: SettingRow[] = await manager.query(
        'SELECT key, value, updated_by, updated_at FROM web_settings WHERE key = $1 FOR UPDATE',
        [key],
      );
      const before = valueOf(key, rows[0]);
      await manager.query(
        `INSERT INTO web_settings (key, value, updated_by, updated_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (key) DO UPDATE SET value = $2, updated_by = $3, updated_at = now()`,
        [key, JSON.stringify(checked), updatedBy],
      );
      await alongWith?.(manager, before, checked);
    });
  }
}

function valueOf<K extends WebSettingKey>(key: K, row: SettingRow | undefined): WebSettingValue<K> {
  const declared = WEB_SETTINGS[key];
  return storedOrDefault(declared, storedOf(row), declared.defaultValue) as WebSettingValue<K>;
}

function storedOf(row: SettingRow | undefined): StoredSetting | undefined {
  return row === undefined
    ? undefined
    : { value: row.value, updatedBy: row.updated_by, updatedAt: row.updated_at };
}
