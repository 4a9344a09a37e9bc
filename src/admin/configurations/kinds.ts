import { z } from 'zod';

const DECIMAL = /^\d{1,10}(\.\d{1,8})?$/;
const decimal = z.string().regex(DECIMAL, { message: 'must be a decimal string like "1.25"' });
const PAIR = /^[A-Z0-9]{3,10}\/[A-Z0-9]{3,10}$/;

/** Alert rules: which recorded metric, compared how, breaches mark `GET /admin/metrics/alerts`. */
export const ALERT_RULES = z.strictObject({
  rules: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(100),
        metric: z.string().min(1).max(255),
        /** Only samples with these tags (e.g. {"context": "web"}). */
        tags: z.record(z.string(), z.string()).optional(),
        op: z.enum(['>', '>=', '<', '<=']),
        threshold: z.number(),
        severity: z.enum(['warning', 'critical']).default('warning'),
        description: z.string().max(500).optional(),
      }),
    )
    .max(200),
});

/** The rates each pair may take: staff cannot set a rate outside them (a typo guard). */
export const RATE_BOUNDS = z.strictObject({
  pairs: z
    .record(
      z.string().regex(PAIR, { message: 'pairs are named FROM/TO, e.g. USD/EUR' }),
      z.strictObject({ min: decimal, max: decimal }),
    )
    .refine(
      (pairs) => Object.values(pairs).every((bounds) => Number(bounds.min) <= Number(bounds.max)),
      { message: 'min must not be above max' },
    ),
});

/** Every kind of configuration document, with the schema a version must pass to be saved. */
export const CONFIGURATION_KINDS = {
  'alert-rules': ALERT_RULES,
  'rate-bounds': RATE_BOUNDS,
} as const;

export type ConfigurationKind = keyof typeof CONFIGURATION_KINDS;
export type ConfigurationOf<K extends ConfigurationKind> = z.infer<(typeof CONFIGURATION_KINDS)[K]>;

export function isConfigurationKind(kind: string): kind is ConfigurationKind {
  return Object.hasOwn(CONFIGURATION_KINDS, kind);
}
