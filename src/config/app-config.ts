import { resolve } from 'node:path';
import type { RedisOptions } from '../redis/index.js';
import { AppContext, Database, databasesFor } from '../common/app-context.js';
import {
  checkDatabaseUrl,
  checkDatabaseUrls,
  ConfigError,
  type Env,
  parseEnv,
} from './env.schema.js';

export type LogLevel = Env['LOG_LEVEL'];

export interface DatabaseConfig {
  /** Connection URL per database this process uses (identity always). */
  readonly urls: Readonly<Partial<Record<Database, string>>>;
  /** Read replicas per database (none by default), for reads that tolerate replication lag. */
  readonly replicaUrls: Readonly<Partial<Record<Database, readonly string[]>>>;
  readonly poolSize: number;
  readonly statementTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** Apply pending migrations at start (under an advisory lock, so several processes may start at once). */
  readonly migrate: boolean;
}

export interface EmbeddedPostgresConfig {
  readonly dataDir: string;
  readonly port: number;
}

export interface HttpConfig {
  readonly host: string;
  readonly port: number;
  readonly bodyLimitBytes: number;
  /**
   * Who may tell the client's address in X-Forwarded-For: nobody (false), the last N hops,
   * or the proxies with these addresses/CIDRs.
   */
  readonly trustProxy: false | number | readonly string[];
  /** Origins besides the API's own that may send unsafe requests (the browser apps). */
  readonly trustedOrigins: readonly string[];
  readonly cookieSecure: boolean;
  /** Whether /docs and /docs/openapi.json are served. */
  readonly apiDocs: boolean;
}

/** How long a session lives: `idleMs` after its last extension, never past `absoluteMs` after login. */
export interface SessionLifetime {
  readonly idleMs: number;
  readonly absoluteMs: number;
}

export interface SessionConfig {
  readonly lifetimes: Readonly<Record<AppContext, SessionLifetime>>;
  readonly purgeIntervalMs: number;
  /** How often each process applies cache invalidations that did not reach Redis. */
  readonly invalidationPollMs: number;
}

export interface LoginThrottleConfig {
  /** Failed logins from one address within the window, before 429. */
  readonly ipMaxFailures: number;
  readonly ipWindowMs: number;
  /** Failed logins for one account before it is locked; each further failure doubles the lock. */
  readonly accountMaxFailures: number;
  readonly lockoutMs: number;
  readonly lockoutMaxMs: number;
  /** Staff failures across addresses before each attempt must wait a doubling interval. */
  readonly slowdownAfterFailures: number;
  readonly slowdownMs: number;
  readonly slowdownMaxMs: number;
  /** Successful logins of one account within the window, before 429. */
  readonly accountMaxSuccesses: number;
  readonly successWindowMs: number;
}

/** Registrations from one address (IPv6: one /64) within a window, before 429. */
export interface RegistrationThrottleConfig {
  readonly max: number;
  readonly windowMs: number;
}

export interface TelegramConfig {
  readonly token: string;
  /** Where the Bot API client sends its calls (a local fake in tests). */
  readonly apiRoot: string;
  /** webhook: Telegram posts updates to POST /bot/telegram/webhook; polling: getUpdates (development). */
  readonly mode: 'webhook' | 'polling';
  /** Compared with X-Telegram-Bot-Api-Secret-Token; required in webhook mode. */
  readonly webhookSecret: string | undefined;
  /** When set, the bot registers this URL with setWebhook at start. */
  readonly webhookUrl: string | undefined;
  /** How often each process looks for stored updates, order events and notifications to send. */
  readonly pollIntervalMs: number;
  /** Updates one process handles at once (one database connection each). */
  readonly updateConcurrency: number;
  /** Messages per second to all chats together, and the least gap between two to one chat. */
  readonly sendPerSecond: number;
  readonly chatSendIntervalMs: number;
  /** Security alerts in the linked chat too (besides mail). */
  readonly securityAlerts: boolean;
}

export interface MailConfig {
  readonly from: string;
  readonly smtpUrl: string | undefined;
  readonly directory: string;
  readonly links: { readonly passwordReset: string; readonly emailVerification: string };
}

/** The validated configuration, grouped by concern. Built once, from the environment, at start. */
export interface AppConfig {
  readonly env: Env['NODE_ENV'];
  readonly http: HttpConfig;
  readonly log: { readonly level: LogLevel };
  /** Processes serving HTTP on one port (node:cluster); 1 serves from this process. */
  readonly workers: number;
  /** Applications this process mounts. */
  readonly contexts: readonly AppContext[];
  readonly database: DatabaseConfig;
  /** Set when no database URL is configured: a PostgreSQL server is run from node_modules. */
  readonly embeddedPostgres: EmbeddedPostgresConfig | undefined;
  readonly redis: RedisOptions;
  readonly sessions: SessionConfig;
  readonly login: LoginThrottleConfig;
  readonly registration: RegistrationThrottleConfig;
  /** Password reset requests per address and per account, per window. */
  readonly accountMail: {
    readonly perAddress: number;
    readonly perAccount: number;
    readonly windowMs: number;
  };
  /** Created at start when no admin exists. */
  readonly firstAdmin: { readonly email: string; readonly password: string } | undefined;
  readonly admin: {
    /** Default step-up window: dangerous actions need a password entered this recently. */
    readonly stepUpSeconds: number;
  };
  /** Bearer token of GET /metrics; unset: the endpoint is off (404). */
  readonly metricsToken: string | undefined;
  /** The Telegram bot; undefined when TELEGRAM_BOT_TOKEN is unset (the bot is off). */
  readonly telegram: TelegramConfig | undefined;
  /** Mail through SMTP, or into .eml files without SMTP_URL; undefined when MAIL_ENABLED=false. */
  readonly mail: MailConfig | undefined;
  readonly exchange: {
    /** Currency codes orders and rates may use. */
    readonly currencies: readonly string[];
    /** Largest order amount, a decimal string. */
    readonly maxOrderAmount: string;
    /** Shared secret of the payment provider's confirmations; unset: they answer 503. */
    readonly providerSecret: string | undefined;
  };
}

export const DATABASE_URL_VARIABLE = {
  [Database.Identity]: 'DATABASE_IDENTITY_URL',
  [Database.Web]: 'DATABASE_WEB_URL',
  [Database.Admin]: 'DATABASE_ADMIN_URL',
  [Database.Bot]: 'DATABASE_BOT_URL',
} as const satisfies Record<Database, keyof Env>;

export const DATABASE_REPLICA_URLS_VARIABLE = {
  [Database.Identity]: 'DATABASE_IDENTITY_REPLICA_URLS',
  [Database.Web]: 'DATABASE_WEB_REPLICA_URLS',
  [Database.Admin]: 'DATABASE_ADMIN_REPLICA_URLS',
  [Database.Bot]: 'DATABASE_BOT_REPLICA_URLS',
} as const satisfies Record<Database, keyof Env>;

/** The read replicas of the databases the mounted contexts use; like their URLs, only those are checked. */
function replicaUrls(env: Env, primariesConfigured: boolean): Partial<Record<Database, string[]>> {
  return Object.fromEntries(
    databasesFor(env.APP_CONTEXTS).flatMap((database) => {
      const variable = DATABASE_REPLICA_URLS_VARIABLE[database];
      const value = env[variable];
      if (value === undefined) return [];
      if (!primariesConfigured)
        throw new ConfigError(variable, `needs ${DATABASE_URL_VARIABLE[database]} (the primary)`);
      return [[database, checkDatabaseUrls(variable, value)]];
    }),
  );
}

/**
 * Picks the URLs of the databases the mounted contexts need. A process validates only
 * those: `APP_CONTEXTS=web` runs without any admin or bot URL. With no URL at all outside
 * production, the embedded server takes their place.
 */
function databaseUrls(env: Env): Partial<Record<Database, string>> | undefined {
  const needed = databasesFor(env.APP_CONTEXTS);
  const urls = Object.fromEntries(
    needed.flatMap((database) => {
      const variable = DATABASE_URL_VARIABLE[database];
      const url = env[variable];
      return typeof url === 'string' ? [[database, checkDatabaseUrl(variable, url)]] : [];
    }),
  );
  if (Object.keys(urls).length === 0 && env.NODE_ENV !== 'production') return undefined;
  const missing = needed.find((database) => urls[database] === undefined);
  if (missing !== undefined) {
    throw new ConfigError(
      DATABASE_URL_VARIABLE[missing],
      `is required when APP_CONTEXTS is ${env.APP_CONTEXTS.join(',')}` +
        (env.NODE_ENV === 'production' ? ' in production' : ' and other database URLs are set'),
    );
  }
  return urls;
}

function lifetime(env: Env, context: AppContext): SessionLifetime {
  const prefix = `SESSION_${context.toUpperCase()}` as const;
  const idle = env[`${prefix}_IDLE_SECONDS` as keyof Env] as number;
  const absolute = env[`${prefix}_ABSOLUTE_SECONDS` as keyof Env] as number;
  if (absolute < idle) {
    throw new ConfigError(
      `${prefix}_ABSOLUTE_SECONDS`,
      `must not be shorter than ${prefix}_IDLE_SECONDS`,
    );
  }
  return { idleMs: idle * 1_000, absoluteMs: absolute * 1_000 };
}

/**
 * Without Redis each process caches sessions in its own memory, so a logout on one is not
 * seen by another: production needs Redis unless it runs a single process, said explicitly.
 */
function checkSharedCache(env: Env): void {
  if (env.REDIS_SENTINELS !== undefined && env.REDIS_CLUSTER_NODES !== undefined) {
    throw new ConfigError('REDIS_CLUSTER_NODES', 'cannot be set with REDIS_SENTINELS: pick one');
  }
  const shared =
    env.REDIS_URL !== undefined ||
    env.REDIS_SENTINELS !== undefined ||
    env.REDIS_CLUSTER_NODES !== undefined;
  if (env.WORKERS > 1 && !shared) {
    throw new ConfigError(
      'WORKERS',
      'above 1 needs REDIS_URL (or REDIS_SENTINELS, REDIS_CLUSTER_NODES), or set WORKERS=1: each worker would cache sessions in its own memory',
    );
  }
  if (env.NODE_ENV !== 'production' || env.SINGLE_PROCESS) return;
  if (!shared) {
    throw new ConfigError(
      'REDIS_URL',
      'is required in production (or REDIS_SENTINELS, REDIS_CLUSTER_NODES), unless SINGLE_PROCESS=true',
    );
  }
}

/**
 * Mail goes through SMTP_URL; without it (development) every mail is an .eml file in
 * MAIL_DIRECTORY. Production needs a relay, or mail said to be off (MAIL_ENABLED=false):
 * then the flows that need mail answer 503.
 */
function mail(env: Env): MailConfig | undefined {
  if (!env.MAIL_ENABLED) return undefined;
  if (env.SMTP_URL === undefined && env.NODE_ENV === 'production') {
    throw new ConfigError('SMTP_URL', 'is required in production, unless MAIL_ENABLED=false');
  }
  const app = env.WEB_APP_URL.replace(/\/+$/, '');
  return {
    from: env.MAIL_FROM,
    smtpUrl: env.SMTP_URL,
    directory: resolve(env.MAIL_DIRECTORY),
    links: {
      passwordReset: `${app}/reset-password`,
      emailVerification: `${app}/verify-email`,
    },
  };
}

function firstAdmin(env: Env): AppConfig['firstAdmin'] {
  if (env.ADMIN_EMAIL === undefined && env.ADMIN_PASSWORD === undefined) return undefined;
  if (env.ADMIN_EMAIL === undefined)
    throw new ConfigError('ADMIN_EMAIL', 'is required with ADMIN_PASSWORD');
  if (env.ADMIN_PASSWORD === undefined)
    throw new ConfigError('ADMIN_PASSWORD', 'is required with ADMIN_EMAIL');
  return { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD };
}

function telegram(env: Env): TelegramConfig | undefined {
  if (env.TELEGRAM_BOT_TOKEN === undefined) return undefined;
  if (env.BOT_MODE === 'webhook' && env.TELEGRAM_WEBHOOK_SECRET === undefined) {
    throw new ConfigError(
      'TELEGRAM_WEBHOOK_SECRET',
      'is required with TELEGRAM_BOT_TOKEN when BOT_MODE is webhook',
    );
  }
  return {
    token: env.TELEGRAM_BOT_TOKEN,
    apiRoot: env.TELEGRAM_API_ROOT.replace(/\/+$/, ''),
    mode: env.BOT_MODE,
    webhookSecret: env.TELEGRAM_WEBHOOK_SECRET,
    webhookUrl: env.TELEGRAM_WEBHOOK_URL,
    pollIntervalMs: env.BOT_POLL_INTERVAL_MS,
    updateConcurrency: env.BOT_UPDATE_CONCURRENCY,
    sendPerSecond: env.BOT_SEND_PER_SECOND,
    chatSendIntervalMs: env.BOT_CHAT_SEND_INTERVAL_MS,
    securityAlerts: env.BOT_SECURITY_ALERTS,
  };
}

export function toAppConfig(env: Env): AppConfig {
  // Every check runs, so that one start names every problem at once.
  const problems: ConfigError[] = [];
  const checked = <T>(check: () => T): T => {
    try {
      return check();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error);
      return undefined as T;
    }
  };
  const urls = checked(() => databaseUrls(env));
  checked(() => checkSharedCache(env));
  const lifetimes = {
    [AppContext.Web]: checked(() => lifetime(env, AppContext.Web)),
    [AppContext.Admin]: checked(() => lifetime(env, AppContext.Admin)),
    [AppContext.Telegram]: checked(() => lifetime(env, AppContext.Telegram)),
  };
  const admin = checked(() => firstAdmin(env));
  const bot = checked(() => telegram(env));
  const mailConfig = checked(() => mail(env));
  if (problems.length > 0) throw ConfigError.of(problems);
  return {
    env: env.NODE_ENV,
    http: {
      host: env.HOST,
      port: env.PORT,
      bodyLimitBytes: env.HTTP_BODY_LIMIT_BYTES,
      trustProxy: env.TRUST_PROXY,
      trustedOrigins: env.TRUSTED_ORIGINS,
      cookieSecure: env.COOKIE_SECURE ?? env.NODE_ENV === 'production',
      // The API's map (every route, parameter and error) is for developers, not for attackers.
      apiDocs: env.API_DOCS ?? env.NODE_ENV !== 'production',
    },
    log: { level: env.LOG_LEVEL },
    workers: env.WORKERS,
    contexts: env.APP_CONTEXTS,
    database: {
      urls: urls ?? {},
      replicaUrls: replicaUrls(env, urls !== undefined),
      poolSize: env.DATABASE_POOL_SIZE,
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
      connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
      migrate: env.DATABASE_MIGRATE,
    },
    embeddedPostgres:
      urls === undefined
        ? { dataDir: resolve(env.EMBEDDED_POSTGRES_DIR), port: env.EMBEDDED_POSTGRES_PORT }
        : undefined,
    redis: {
      url: env.REDIS_URL,
      sentinel:
        env.REDIS_SENTINELS === undefined
          ? undefined
          : { masterName: env.REDIS_SENTINEL_MASTER, nodes: env.REDIS_SENTINELS },
      cluster:
        env.REDIS_CLUSTER_NODES === undefined ? undefined : { nodes: env.REDIS_CLUSTER_NODES },
      commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
    },
    sessions: {
      lifetimes,
      purgeIntervalMs: env.SESSION_PURGE_INTERVAL_SECONDS * 1_000,
      invalidationPollMs: env.CACHE_INVALIDATION_POLL_MS,
    },
    login: {
      ipMaxFailures: env.LOGIN_IP_MAX_FAILURES,
      ipWindowMs: env.LOGIN_IP_WINDOW_SECONDS * 1_000,
      accountMaxFailures: env.LOGIN_ACCOUNT_MAX_FAILURES,
      lockoutMs: env.LOGIN_LOCKOUT_SECONDS * 1_000,
      lockoutMaxMs: env.LOGIN_LOCKOUT_MAX_SECONDS * 1_000,
      slowdownAfterFailures: env.LOGIN_SLOWDOWN_AFTER_FAILURES,
      slowdownMs: env.LOGIN_SLOWDOWN_SECONDS * 1_000,
      slowdownMaxMs: env.LOGIN_SLOWDOWN_MAX_SECONDS * 1_000,
      accountMaxSuccesses: env.LOGIN_ACCOUNT_MAX_SUCCESSES,
      successWindowMs: env.LOGIN_ACCOUNT_SUCCESS_WINDOW_SECONDS * 1_000,
    },
    registration: {
      max: env.REGISTRATION_IP_MAX,
      windowMs: env.REGISTRATION_IP_WINDOW_SECONDS * 1_000,
    },
    accountMail: {
      perAddress: env.ACCOUNT_MAIL_IP_MAX,
      perAccount: env.ACCOUNT_MAIL_ACCOUNT_MAX,
      windowMs: env.ACCOUNT_MAIL_WINDOW_SECONDS * 1_000,
    },
    firstAdmin: admin,
    admin: { stepUpSeconds: env.ADMIN_STEP_UP_SECONDS },
    metricsToken: env.METRICS_TOKEN,
    telegram: bot,
    mail: mailConfig,
    exchange: {
      currencies: env.SUPPORTED_CURRENCIES,
      maxOrderAmount: env.ORDER_MAX_AMOUNT,
      providerSecret: env.PAYMENT_PROVIDER_SECRET,
    },
  };
}

/** Reads and validates the environment; throws ConfigError with a one-line message. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  return toAppConfig(parseEnv(source));
}
