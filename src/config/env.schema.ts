import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { ALL_CONTEXTS, AppContext } from '../common/app-context.js';

/** Thrown for invalid configuration; its message is one line naming the variable. */
export class ConfigError extends Error {
  /** Every variable at fault, the first one first. */
  readonly variables: readonly string[];

  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
    this.variables = [variable];
  }

  /** One error naming every problem, so that one start tells all that is missing. */
  static of(errors: readonly ConfigError[]): ConfigError {
    const [first, ...rest] = errors;
    if (first === undefined) throw new Error('no configuration problem to report');
    if (rest.length === 0) return first;
    const combined = new ConfigError(first.variable, '');
    Object.defineProperty(combined, 'message', {
      value: errors.map((error) => error.message).join('; '),
    });
    Object.defineProperty(combined, 'variables', {
      value: errors.flatMap((error) => error.variables),
    });
    return combined;
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function urlWithProtocol(protocols: readonly string[], example: string, needsPath = false) {
  return z.string().superRefine((value, context) => {
    const url = parseUrl(value);
    if (url === undefined || !protocols.includes(url.protocol) || url.hostname === '') {
      context.addIssue({ code: 'custom', message: `must be a URL like ${example}` });
    } else if (needsPath && url.pathname.length <= 1) {
      context.addIssue({ code: 'custom', message: `must name a database: ${example}` });
    }
  });
}

const postgresUrl = urlWithProtocol(
  ['postgres:', 'postgresql:'],
  'postgres://user:pass@host:5432/dbname',
  true,
);
const redisUrl = urlWithProtocol(['redis:', 'rediss:'], 'redis://host:6379');
const smtpUrl = urlWithProtocol(['smtp:', 'smtps:'], 'smtp://user:pass@host:587');
const httpUrl = urlWithProtocol(['http:', 'https:'], 'https://exchanger.example');

const contextList = z
  .string()
  .transform((value) => [...new Set(value.split(',').map((part) => part.trim()))])
  .pipe(
    z
      .array(z.enum(AppContext, { message: `must list contexts among ${ALL_CONTEXTS.join(', ')}` }))
      .min(1, { message: 'must name at least one context' }),
  );

const port = z.coerce
  .number({ message: 'must be a port number' })
  .int({ message: 'must be a port number' })
  .min(0, { message: 'must be a port number' })
  .max(65535, { message: 'must be a port number' });

function positiveInt(max: number) {
  return z.coerce
    .number({ message: `must be a whole number from 1 to ${max}` })
    .int({ message: `must be a whole number from 1 to ${max}` })
    .min(1, { message: `must be a whole number from 1 to ${max}` })
    .max(max, { message: `must be a whole number from 1 to ${max}` });
}

const flag = z.stringbool({ message: 'must be true or false' });

/** `a, b,c` → ['a', 'b', 'c']. */
const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean),
);

const originList = commaList.pipe(
  z.array(
    z.string().refine((origin) => parseUrl(origin)?.origin === origin, {
      message: 'must list origins like https://app.example.com (scheme, host, port; no path)',
    }),
  ),
);

const seconds = (max: number) => positiveInt(max);

/**
 * The longest a password entry may count for dangerous admin actions, whatever the setting
 * says: well below an admin session's idle lifetime, so a stolen session cookie alone does not
 * carry step-up for long.
 */
export const STEP_UP_MAX_SECONDS = 900;

const TRUST_PROXY_PROBLEM =
  "must be false, a number of proxy hops, or the proxies' addresses (IPs or CIDRs, comma-separated); " +
  'true would believe any X-Forwarded-For a client sends';
const PROXY_ADDRESS = /^[0-9A-Fa-f.:]+(\/\d{1,3})?$/;

/**
 * Which proxies may tell the client's address (X-Forwarded-For): none, the last N hops, or
 * the proxies' own addresses. Never "all": a client would choose the address it is
 * throttled, recorded and audited under.
 */
const trustedProxies = z.string().transform((value, context): false | number | string[] => {
  const trimmed = value.trim();
  if (trimmed === 'false') return false;
  if (/^\d{1,2}$/.test(trimmed) && Number(trimmed) >= 1) return Number(trimmed);
  const addresses = trimmed
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (
    addresses.length > 0 &&
    addresses.every(
      (address) => PROXY_ADDRESS.test(address) && isIP(address.split('/')[0] ?? '') !== 0,
    )
  ) {
    return addresses;
  }
  context.addIssue({ code: 'custom', message: TRUST_PROXY_PROBLEM });
  return z.NEVER;
});

const HOST_AND_PORT = /^(?<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(?<port>\d{1,5})$/;
const nodeList = commaList.pipe(
  z
    .array(
      z.string().transform((node, context) => {
        const match = HOST_AND_PORT.exec(node);
        const port = Number(match?.groups?.port);
        if (match?.groups?.host === undefined || port < 1 || port > 65535) {
          context.addIssue({ code: 'custom', message: 'must list host:port pairs' });
          return z.NEVER;
        }
        return { host: match.groups.host.replace(/^\[|\]$/g, ''), port };
      }),
    )
    .min(1, { message: 'must list host:port pairs' }),
);

const currencyList = z
  .string()
  .transform((value) => [...new Set(value.split(',').map((part) => part.trim()))])
  .pipe(
    z
      .array(
        z.string().regex(/^[A-Z0-9]{3,10}$/, {
          message: 'must list codes of 3 to 10 upper-case letters or digits',
        }),
      )
      .min(2, { message: 'must list at least two currencies' }),
  );

/** A positive decimal that fits numeric(18,8). */
const decimalAmount = z.string().regex(/^(?!0+(\.0+)?$)\d{1,10}(\.\d{1,8})?$/, {
  message: 'must be a positive decimal with at most 10 integer and 8 fractional digits',
});
const DAY = 86_400;

/** Every environment variable the service reads. `.env.example` documents each one. */
export const envSchema = z.object({
  NODE_ENV: z
    .enum(['development', 'test', 'production'], {
      message: 'must be development, test or production',
    })
    .default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: port.default(3000),
  APP_CONTEXTS: contextList.default([...ALL_CONTEXTS]),
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
  WORKERS: z
    .string()
    .transform((value, context) => {
      if (value.trim() === 'auto') return availableParallelism();
      const count = Number(value);
      if (Number.isInteger(count) && count >= 1 && count <= 256) return count;
      context.addIssue({ code: 'custom', message: 'must be auto or a whole number from 1 to 256' });
      return z.NEVER;
    })
    .default(1),
  HTTP_BODY_LIMIT_BYTES: positiveInt(10 * 1024 * 1024).default(64 * 1024),

  // Checked by checkDatabaseUrl, and only for the databases the mounted contexts use.
  DATABASE_IDENTITY_URL: z.string().optional(),
  DATABASE_WEB_URL: z.string().optional(),
  DATABASE_ADMIN_URL: z.string().optional(),
  DATABASE_BOT_URL: z.string().optional(),
  // Comma-separated read replicas; only reads that tolerate replication lag use them.
  DATABASE_IDENTITY_REPLICA_URLS: z.string().optional(),
  DATABASE_WEB_REPLICA_URLS: z.string().optional(),
  DATABASE_ADMIN_REPLICA_URLS: z.string().optional(),
  DATABASE_BOT_REPLICA_URLS: z.string().optional(),
  DATABASE_POOL_SIZE: positiveInt(200).default(10),
  DATABASE_STATEMENT_TIMEOUT_MS: positiveInt(600_000).default(10_000),
  DATABASE_CONNECT_TIMEOUT_MS: positiveInt(60_000).default(3_000),
  DATABASE_MIGRATE: flag.default(true),
  EMBEDDED_POSTGRES_DIR: z.string().min(1).default('.data/postgres'),
  EMBEDDED_POSTGRES_PORT: port.default(54329),

  REDIS_URL: redisUrl.optional(),
  // Production without Redis only when this is the one and only process (see app-config).
  SINGLE_PROCESS: flag.default(false),
  REDIS_SENTINELS: nodeList.optional(),
  REDIS_CLUSTER_NODES: nodeList.optional(),
  REDIS_SENTINEL_MASTER: z.string().min(1).default('mymaster'),
  REDIS_COMMAND_TIMEOUT_MS: positiveInt(60_000).default(200),
  CACHE_INVALIDATION_POLL_MS: positiveInt(60_000).default(1_000),

  TRUST_PROXY: trustedProxies.default(false),
  TRUSTED_ORIGINS: originList.default([]),
  COOKIE_SECURE: flag.optional(),
  API_DOCS: flag.optional(),

  // Mail (password reset, security alerts): see app-config for what production needs.
  MAIL_ENABLED: flag.default(true),
  SMTP_URL: smtpUrl.optional(),
  MAIL_FROM: z.string().min(3).max(320).default('Exchanger <no-reply@exchanger.localhost>'),
  MAIL_DIRECTORY: z.string().min(1).default('.data/mail'),
  WEB_APP_URL: httpUrl.default('http://localhost:3000'),

  SESSION_WEB_IDLE_SECONDS: seconds(365 * DAY).default(DAY),
  SESSION_WEB_ABSOLUTE_SECONDS: seconds(365 * DAY).default(30 * DAY),
  SESSION_ADMIN_IDLE_SECONDS: seconds(365 * DAY).default(3_600),
  SESSION_ADMIN_ABSOLUTE_SECONDS: seconds(365 * DAY).default(12 * 3_600),
  SESSION_TELEGRAM_IDLE_SECONDS: seconds(365 * DAY).default(30 * DAY),
  SESSION_TELEGRAM_ABSOLUTE_SECONDS: seconds(365 * DAY).default(180 * DAY),
  SESSION_PURGE_INTERVAL_SECONDS: seconds(DAY).default(300),

  LOGIN_IP_MAX_FAILURES: positiveInt(1_000_000).default(50),
  LOGIN_IP_WINDOW_SECONDS: seconds(DAY).default(900),
  LOGIN_ACCOUNT_MAX_FAILURES: positiveInt(1_000).default(5),
  LOGIN_LOCKOUT_SECONDS: seconds(DAY).default(60),
  LOGIN_LOCKOUT_MAX_SECONDS: seconds(30 * DAY).default(3_600),
  LOGIN_SLOWDOWN_AFTER_FAILURES: positiveInt(1_000_000).default(20),
  LOGIN_SLOWDOWN_SECONDS: seconds(DAY).default(1),
  LOGIN_SLOWDOWN_MAX_SECONDS: seconds(DAY).default(300),
  LOGIN_ACCOUNT_MAX_SUCCESSES: positiveInt(1_000_000).default(30),
  LOGIN_ACCOUNT_SUCCESS_WINDOW_SECONDS: seconds(DAY).default(60),
  REGISTRATION_IP_MAX: positiveInt(1_000_000).default(20),
  REGISTRATION_IP_WINDOW_SECONDS: seconds(DAY).default(3_600),
  ACCOUNT_MAIL_IP_MAX: positiveInt(1_000_000).default(10),
  ACCOUNT_MAIL_ACCOUNT_MAX: positiveInt(1_000).default(3),
  ACCOUNT_MAIL_WINDOW_SECONDS: seconds(DAY).default(3_600),

  ADMIN_EMAIL: z.email({ message: 'must be an email address' }).optional(),
  ADMIN_PASSWORD: z
    .string()
    .min(8, { message: 'must be 8 to 128 characters' })
    .max(128, { message: 'must be 8 to 128 characters' })
    .optional(),
  // Default of the admin setting stepUp.windowSeconds (staff may change it at run time).
  ADMIN_STEP_UP_SECONDS: seconds(STEP_UP_MAX_SECONDS).default(600),
  METRICS_TOKEN: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),

  TELEGRAM_BOT_TOKEN: z
    .string()
    .regex(/^\d{1,20}:[A-Za-z0-9_-]{30,100}$/, {
      message: 'must be a bot token as @BotFather issues it (<bot id>:<secret>)',
    })
    .optional(),
  BOT_MODE: z
    .enum(['webhook', 'polling'], { message: 'must be webhook or polling' })
    .default('webhook'),
  TELEGRAM_WEBHOOK_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{32,256}$/, {
      message: 'must be 32 to 256 characters among A-Z, a-z, 0-9, _ and -',
    })
    .optional(),
  TELEGRAM_WEBHOOK_URL: urlWithProtocol(
    ['https:'],
    'https://api.example.com/bot/telegram/webhook',
  ).optional(),
  TELEGRAM_API_ROOT: urlWithProtocol(['https:', 'http:'], 'https://api.telegram.org').default(
    'https://api.telegram.org',
  ),
  BOT_POLL_INTERVAL_MS: positiveInt(60_000).default(1_000),
  BOT_UPDATE_CONCURRENCY: positiveInt(64).default(4),
  BOT_SEND_PER_SECOND: positiveInt(30).default(30),
  BOT_CHAT_SEND_INTERVAL_MS: positiveInt(60_000).default(1_000),
  BOT_SECURITY_ALERTS: flag.default(true),

  SUPPORTED_CURRENCIES: currencyList.default([
    'USD',
    'EUR',
    'GBP',
    'CHF',
    'PLN',
    'UAH',
    'BTC',
    'ETH',
    'USDT',
  ]),
  ORDER_MAX_AMOUNT: decimalAmount.default('1000000'),
  PAYMENT_PROVIDER_SECRET: z
    .string()
    .min(32, { message: 'must be at least 32 characters' })
    .optional(),
});

export type Env = z.infer<typeof envSchema>;

/** Unset and empty variables are the same thing: `FOO=` in a .env file means "not set". */
function withoutEmpty(source: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(source).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
}

/** Validates one database URL, naming its variable when it is malformed. */
export function checkDatabaseUrl(variable: string, value: string): string {
  const result = postgresUrl.safeParse(value);
  if (!result.success)
    throw new ConfigError(variable, result.error.issues[0]?.message ?? 'is invalid');
  return value;
}

/** Validates a comma-separated list of database URLs, naming its variable when one is malformed. */
export function checkDatabaseUrls(variable: string, value: string): string[] {
  return commaList.parse(value).map((url) => checkDatabaseUrl(variable, url));
}

export function parseEnv(source: NodeJS.ProcessEnv): Env {
  const result = envSchema.safeParse(withoutEmpty(source));
  if (!result.success) {
    throw ConfigError.of(
      result.error.issues.map(
        (issue) => new ConfigError(String(issue.path[0] ?? 'configuration'), issue.message),
      ),
    );
  }
  return result.data;
}
