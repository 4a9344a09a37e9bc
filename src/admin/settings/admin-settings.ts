import { PeriodicWork } from '@exchanger/identity';
import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { DataSource } from 'typeorm';
import {
  checkedSetting,
  settingView,
  type StoredSetting,
  storedOrDefault,
  unknownSetting,
} from '../../common/settings.js';
import type { AppConfig } from '../../config/app-config.js';
import { AuditTrail } from '../audit/audit-trail.js';
import { type Actor, type AuditEntry, auditEntry } from '../audit/audit-entry.js';
import { AdminSetting } from '../entities/index.js';
import { isSettingKey, SETTINGS, type SettingKey, type SettingValue } from './settings.js';
import { InjectAdminDataSource } from '../../database/data-sources/admin.js';

/**
 * How often every process re-reads the settings: a change made in one process applies in
 * every other within this bound (the process that made it applies it at once).
 */
export const SETTINGS_REFRESH_MS = 5_000;

/** The audit entry of a setting's change, whichever application holds the setting. */
export function settingChanged(
  actor: Actor,
  key: string,
  before: unknown,
  after: unknown,
): AuditEntry {
  return auditEntry(actor, {
    action: 'setting.changed',
    resourceType: 'setting',
    resourceId: key,
    oldValues: { value: before },
    newValues: { value: after },
  });
}

/** The admin settings, held in memory and refreshed from `admin_settings` on a timer. */
@Injectable()
export class AdminSettings implements OnModuleInit, OnModuleDestroy {
  private stored = new Map<string, StoredSetting>();
  private readonly refreshing = new PeriodicWork({
    name: 'AdminSettings',
    round: () => this.refresh(),
    intervalMs: SETTINGS_REFRESH_MS,
    pauseFirst: true,
  });

  constructor(
    @InjectAdminDataSource() private readonly admin: DataSource,
    private readonly config: ConfigService<AppConfig, true>,
    private readonly audit: AuditTrail,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.refresh();
    this.refreshing.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.refreshing.stop();
  }

  /** The setting's value: the stored one if valid, else its default. */
  get<K extends SettingKey>(key: K): SettingValue<K> {
    const declared = SETTINGS[key];
    return storedOrDefault(
      declared,
      this.stored.get(key),
      declared.defaultOf(this.defaults()),
    ) as SettingValue<K>;
  }

  list() {
    return Object.entries(SETTINGS).map(([key, declared]) =>
      settingView(key, declared, declared.defaultOf(this.defaults()), this.stored.get(key)),
    );
  }

  /** Validates and stores a value (400 naming the key and the problem), with its audit row. */
  async set(key: string, value: unknown, actor: Actor): Promise<void> {
    if (!isSettingKey(key)) throw unknownSetting(key);
    const checked = checkedSetting(key, SETTINGS[key], value);
    const before = this.get(key);
    await this.admin.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO admin_settings (key, value, description, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (key) DO UPDATE SET value = $2, description = $3, updated_by = $4, updated_at = now()`,
        [key, JSON.stringify(checked), SETTINGS[key].description, actor.id],
      );
      await this.audit.inAdmin(manager, settingChanged(actor, key, before, checked));
    });
    await this.refresh();
  }

  private defaults(): AppConfig['admin'] {
    return this.config.get('admin', { infer: true });
  }

  private async refresh(): Promise<void> {
    const rows = await this.admin.getRepository(AdminSetting).find();
    this.stored = new Map(
      rows.map((row) => [
        row.key,
        { value: row.value, updatedBy: row.updatedBy, updatedAt: row.updatedAt },
      ]),
    );
  }
}
