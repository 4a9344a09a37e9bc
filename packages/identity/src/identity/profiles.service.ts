import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { IDENTITY_DATA_SOURCE } from './identity.options.js';

/** Where the user is told of security events (a new sign-in, a password change, …). */
export interface AlertChannels {
  readonly email: boolean;
  readonly telegram: boolean;
}

/** What a user says of themselves: how to be named, spoken to, and told. */
export interface Profile {
  readonly displayName: string | null;
  /** A BCP 47 language tag (`en`, `ru`, `pt-BR`); unset: the client's, else the host's default. */
  readonly language: string | null;
  /** An IANA time zone (`Europe/Moscow`). */
  readonly timeZone: string | null;
  readonly alerts: AlertChannels;
}

export type ProfileChange = Partial<
  Omit<Profile, 'alerts'> & { readonly alerts: Partial<AlertChannels> }
>;

const ALERTS_ON: AlertChannels = { email: true, telegram: true };

interface ProfileRow {
  display_name: string | null;
  language: string | null;
  preferences: { timeZone?: unknown; alerts?: Partial<AlertChannels> } | null;
}

function profileOf(row: ProfileRow | undefined): Profile {
  const preferences = row?.preferences ?? {};
  return {
    displayName: row?.display_name ?? null,
    language: row?.language ?? null,
    timeZone: typeof preferences.timeZone === 'string' ? preferences.timeZone : null,
    alerts: { ...ALERTS_ON, ...preferences.alerts },
  };
}

/**
 * Profiles (`user_profiles`): display name and language in their columns, the time zone and
 * the alert channels among the preferences. A user without a row has the defaults (no name,
 * no language, every alert on). The caller validates values; this stores them.
 */
@Injectable()
export class ProfilesService {
  constructor(@Inject(IDENTITY_DATA_SOURCE) private readonly dataSource: DataSource) {}

  async get(userId: string): Promise<Profile> {
    const rows: ProfileRow[] = await this.dataSource.query(
      'SELECT display_name, language, preferences FROM user_profiles WHERE user_id = $1',
      [userId],
    );
    return profileOf(rows[0]);
  }

  /** The languages of these users (those who chose one). */
  async languagesOf(userIds: readonly string[]): Promise<Map<string, string>> {
    if (userIds.length === 0) return new Map();
    const rows: Array<{ user_id: string; language: string }> = await this.dataSource.query(
      `SELECT user_id, language FROM user_profiles
       WHERE user_id = ANY($1::uuid[]) AND language IS NOT NULL`,
      [userIds],
    );
    return new Map(rows.map((row) => [row.user_id, row.language]));
  }

  /** Applies the change (absent fields stay; null clears) and returns the profile. */
  async update(userId: string, change: ProfileChange): Promise<Profile> {
    const preferences: Record<string, unknown> = {};
    if (change.timeZone !== undefined) preferences.timeZone = change.timeZone;
    const rows: ProfileRow[] = await this.dataSource.query(
      `INSERT INTO user_profiles AS p (user_id, display_name, language, preferences)
       VALUES ($1, $3, $5, $6::jsonb || jsonb_build_object('alerts', $7::jsonb))
       ON CONFLICT (user_id) DO UPDATE SET
         display_name = CASE WHEN $2 THEN EXCLUDED.display_name ELSE p.display_name END,
         language = CASE WHEN $4 THEN EXCLUDED.language ELSE p.language END,
         preferences = p.preferences || $6::jsonb || jsonb_build_object('alerts',
           COALESCE(p.preferences -> 'alerts', '{}'::jsonb) || $7::jsonb),
         updated_at = now()
       RETURNING display_name, language, preferences`,
      [
        userId,
        change.displayName !== undefined,
        change.displayName ?? null,
        change.language !== undefined,
        change.language ?? null,
        JSON.stringify(preferences),
        JSON.stringify(change.alerts ?? {}),
      ],
    );
    return profileOf(rows[0]);
  }
}
