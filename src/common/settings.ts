import { z } from 'zod';
import { InvalidInput, NotFound } from './domain-error.js';

/** A setting staff change at run time: what values it takes and what it governs. */
export interface SettingDeclaration<T = unknown> {
  readonly schema: z.ZodType<T>;
  readonly description: string;
}

/** One setting as staff see it. */
export interface SettingView {
  readonly key: string;
  readonly value: unknown;
  readonly default: unknown;
  readonly description: string;
  readonly schema: unknown;
  readonly updatedBy: string | null;
  readonly updatedAt: string | null;
}

/** A stored setting: its raw value and who set it when. */
export interface StoredSetting {
  readonly value: unknown;
  readonly updatedBy: string | null;
  readonly updatedAt: Date;
}

/** The stored value while it fits the schema (a declaration may have narrowed since), else the default. */
export function storedOrDefault<T>(
  declared: SettingDeclaration<T>,
  stored: StoredSetting | undefined,
  fallback: T,
): T {
  const parsed = stored === undefined ? undefined : declared.schema.safeParse(stored.value);
  return parsed?.success === true ? parsed.data : fallback;
}

/** 404 for a key no declaration names. */
export function unknownSetting(key: string): NotFound {
  return new NotFound(`No setting named ${key}`);
}

/** A value staff send for `key`, checked against its schema: 400 naming the key and the problem. */
export function checkedSetting(key: string, declared: SettingDeclaration, value: unknown): unknown {
  const parsed = declared.schema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidInput(`${key}: ${parsed.error.issues[0]?.message ?? 'is invalid'}`);
  }
  return parsed.data;
}

export function settingView(
  key: string,
  declared: SettingDeclaration,
  fallback: unknown,
  stored: StoredSetting | undefined,
): SettingView {
  return {
    key,
    value: storedOrDefault(declared, stored, fallback),
    default: fallback,
    description: declared.description,
    schema: z.toJSONSchema(declared.schema),
    updatedBy: stored?.updatedBy ?? null,
    updatedAt: stored?.updatedAt.toISOString() ?? null,
  };
}
