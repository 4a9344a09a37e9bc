import { z } from 'zod';
import type { SettingDeclaration } from '../../common/settings.js';
import type { AppConfig } from '../../config/app-config.js';
import { STEP_UP_MAX_SECONDS } from '../../config/env.schema.js';

function wholeNumber(min: number, max: number) {
  const message = `must be a whole number from ${min} to ${max}`;
  return z.number({ message }).int({ message }).min(min, { message }).max(max, { message });
}

interface Declaration<T> extends SettingDeclaration<T> {
  /** From the configuration's admin section. */
  readonly defaultOf: (config: AppConfig['admin']) => T;
}

function declare<T>(declaration: Declaration<T>): Declaration<T> {
  return declaration;
}

/**
 * Every admin setting: a typed key with its schema, default and description. Staff change
 * them at run time (PUT /admin/settings/:key, with step-up: settings govern security, and a
 * new one must not be the exception); every process applies a change within
 * SETTINGS_REFRESH_MS (see AdminSettings). Keys not declared here do not exist.
 */
export const SETTINGS = {
  'stepUp.windowSeconds': declare({
    schema: wholeNumber(30, STEP_UP_MAX_SECONDS),
    description:
      'Dangerous actions (permissions, roles, disabling or deleting users, rates) need the staff member to have entered their password this many seconds ago at most',
    defaultOf: (config) => config.stepUpSeconds,
  }),
  'reports.retentionDays': declare({
    schema: wholeNumber(1, 3_650),
    description: 'Reports (and their content) are deleted this many days after they were requested',
    defaultOf: () => 30,
  }),
  'reports.contentRetentionHours': declare({
    schema: wholeNumber(1, 8_760),
    description:
      'The content of a report (rows of personal data) is deleted this many hours after it was requested; the report row stays, for the audit trail',
    defaultOf: () => 72,
  }),
  'reports.maxRangeDays': declare({
    schema: wholeNumber(1, 3_650),
    description: 'The longest period one report may cover, in days',
    defaultOf: () => 366,
  }),
  'reports.maxRunningPerStaff': declare({
    schema: wholeNumber(1, 50),
    description: 'How many reports one staff member may have queued or running at once',
    defaultOf: () => 3,
  }),
  'metrics.sampleIntervalSeconds': declare({
    schema: wholeNumber(10, 3_600),
    description: 'How often the metrics recorder samples into system_metrics',
    defaultOf: () => 60,
  }),
  'metrics.retentionDays': declare({
    schema: wholeNumber(1, 365),
    description: 'Samples in system_metrics older than this many days are deleted',
    defaultOf: () => 30,
  }),
} as const;

export type SettingKey = keyof typeof SETTINGS;
export type SettingValue<K extends SettingKey> = z.infer<(typeof SETTINGS)[K]['schema']>;

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTINGS, key);
}
