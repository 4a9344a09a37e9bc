import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import { InvalidInput, NotFound } from '../../common/domain-error.js';
import { InjectWebDataSource } from '../../database/data-sources/web.js';

interface Declaration<T> {
  readonly schema: z.ZodType<T>;
  readonly description: string;
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

/** One setting as staff see it. */
export interface WebSettingView {
  readonly key: WebSettingKey;
  readonly value: unknown;
  readonly default: unknown;
  readonly description: string;
  readonly schema: unknown;
  readonly updatedBy: string | null;
  readonly updatedAt: string | null;
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

  async list(): Promise<WebSettingView[]> {
    const rows: SettingRow[] = await this.dataSource.query(
      'SELECT key, value, updated_by, updated_at FROM web_settings',
    );
    return (Object.keys(WEB_SETTINGS) as WebSettingKey[]).map((key) => {
      const row = rows.find((candidate) => candidate.key === key);
      const declared = WEB_SETTINGS[key];
      return {
        key,
        value: valueOf(key, row),
        default: declared.defaultValue,
        description: declared.description,
        schema: z.toJSONSchema(declared.schema),
        updatedBy: row?.updated_by ?? null,
        updatedAt: row?.updated_at.toISOString() ?? null,
      };
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
    if (!isWebSettingKey(key)) throw new NotFound(`No setting named ${key}`);
    const parsed = WEB_SETTINGS[key].schema.safeParse(value);
    if (!parsed.success) {
      throw new InvalidInput(`${key}: ${parsed.error.issues[0]?.message ?? 'is invalid'}`);
    }
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
        [key, JSON.stringify(parsed.data), updatedBy],
      );
      await alongWith?.(manager, before, parsed.data);
    });
  }
}

function valueOf<K extends WebSettingKey>(key: K, row: SettingRow | undefined): WebSettingValue<K> {
  const declared = WEB_SETTINGS[key];
  const parsed = row === undefined ? undefined : declared.schema.safeParse(row.value);
  return (parsed?.success === true ? parsed.data : declared.defaultValue) as WebSettingValue<K>;
}
