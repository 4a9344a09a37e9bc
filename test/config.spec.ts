import { AppContext, Database } from '../src/common/app-context.js';
import { loadConfig } from '../src/config/app-config.js';
import { readFileSync } from 'node:fs';
import { ConfigError, envSchema } from '../src/config/env.schema.js';

const URLS = {
  DATABASE_IDENTITY_URL: 'postgres://u:p@db:5432/exchanger_identity',
  DATABASE_WEB_URL: 'postgres://u:p@db:5432/exchanger_web',
  DATABASE_ADMIN_URL: 'postgres://u:p@db:5432/exchanger_admin',
  DATABASE_BOT_URL: 'postgres://u:p@db:5432/exchanger_bot',
};

/** A grouped row stands for one variable per value: `SESSION_<CTX>_IDLE_SECONDS`, … */
const PLACEHOLDERS: Record<string, readonly string[]> = {
  '<DB>': Object.values(Database),
  '<CTX>': Object.values(AppContext),
};

/** The body rows of the first table in a markdown text, as cells. */
function firstTable(section: string): string[][] {
  const table = section.split(/\n\s*\n/).find((block) => block.trimStart().startsWith('|')) ?? '';
  return table
    .trim()
    .split('\n')
    .slice(2) // after the header and its rule
    .map((row) => row.split('|').slice(1, -1));
}

/** The body rows of the first table under a README heading, as cells. */
function readmeTable(heading: string): string[][] {
  return firstTable(readFileSync('README.md', 'utf8').split(`\n## ${heading}\n`)[1] ?? '');
}

/** The variables named in the first column of the configuration table, expanded. */
function documentedVariables(): string[] {
  const names = firstTable(readFileSync('docs/configuration.md', 'utf8')).flatMap((row) =>
    [...(row[0] ?? '').matchAll(/`([A-Z0-9_<>]+)`/g)].map((match) => match[1] ?? ''),
  );
  return names
    .flatMap((name) => {
      const placeholder = Object.keys(PLACEHOLDERS).find((key) => name.includes(key));
      if (placeholder === undefined) return [name];
      return (PLACEHOLDERS[placeholder] ?? []).map((value) =>
        name.replace(placeholder, value.toUpperCase()),
      );
    })
    .sort();
}

/** A production configuration that starts: every database and Redis. */
const PRODUCTION = {
  ...URLS,
  NODE_ENV: 'production',
  REDIS_URL: 'redis://cache:6379',
  SMTP_URL: 'smtp://relay:587',
};

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('runs every application on the embedded server when nothing is configured', () => {
    const config = loadConfig({});
    expect(config.contexts).toEqual([AppContext.Web, AppContext.Admin, AppContext.Telegram]);
    expect(config.embeddedPostgres).toEqual(expect.objectContaining({ port: 54329 }));
    expect(config.redis.url).toBeUndefined();
    expect(config.http.port).toBe(3000);
  });

  it('uses the configured databases when their URLs are set', () => {
    const config = loadConfig({ ...URLS, REDIS_URL: 'redis://cache:6379' });
    expect(config.embeddedPostgres).toBeUndefined();
    expect(config.database.urls[Database.Bot]).toBe(URLS.DATABASE_BOT_URL);
    expect(config.redis.url).toBe('redis://cache:6379');
  });

  it('needs only the identity and web URLs when APP_CONTEXTS is web', () => {
    const config = loadConfig({
      APP_CONTEXTS: 'web',
      DATABASE_IDENTITY_URL: URLS.DATABASE_IDENTITY_URL,
      DATABASE_WEB_URL: URLS.DATABASE_WEB_URL,
      DATABASE_ADMIN_URL: 'not validated: not used',
    });
    expect(config.contexts).toEqual([AppContext.Web]);
    expect(Object.keys(config.database.urls).sort()).toEqual([Database.Identity, Database.Web]);
  });

  it('needs the web URL as well when APP_CONTEXTS is telegram (the bot uses the web services)', () => {
    const config = loadConfig({
      APP_CONTEXTS: 'telegram',
      DATABASE_IDENTITY_URL: URLS.DATABASE_IDENTITY_URL,
      DATABASE_BOT_URL: URLS.DATABASE_BOT_URL,
      DATABASE_WEB_URL: URLS.DATABASE_WEB_URL,
    });
    expect(Object.keys(config.database.urls).sort()).toEqual([
      Database.Bot,
      Database.Identity,
      Database.Web,
    ]);
    const { DATABASE_WEB_URL: _omitted, ...withoutWeb } = URLS;
    expect(configError({ ...withoutWeb, APP_CONTEXTS: 'telegram' }).variable).toBe(
      'DATABASE_WEB_URL',
    );
  });

  it('reads the read replicas of the databases in use, and only those', () => {
    const config = loadConfig({
      ...URLS,
      APP_CONTEXTS: 'web',
      DATABASE_WEB_REPLICA_URLS:
        ' postgres://u:p@r1:5432/exchanger_web, postgres://u:p@r2/exchanger_web ',
      DATABASE_BOT_REPLICA_URLS: 'not validated: not used',
    });
    expect(config.database.replicaUrls).toEqual({
      [Database.Web]: ['postgres://u:p@r1:5432/exchanger_web', 'postgres://u:p@r2/exchanger_web'],
    });
    expect(loadConfig(URLS).database.replicaUrls).toEqual({});
  });

  it('refuses replicas without their primary', () => {
    expect(
      configError({ DATABASE_WEB_REPLICA_URLS: 'postgres://u:p@r1:5432/exchanger_web' }).message,
    ).toBe('DATABASE_WEB_REPLICA_URLS: needs DATABASE_WEB_URL (the primary)');
  });

  it.each([
    ['DATABASE_WEB_REPLICA_URLS', { ...URLS, DATABASE_WEB_REPLICA_URLS: 'postgres://r1/db,nope' }],
    ['DATABASE_WEB_URL', { ...URLS, DATABASE_WEB_URL: 'notaurl' }],
    ['DATABASE_ADMIN_URL', { ...URLS, DATABASE_ADMIN_URL: 'http://db/exchanger_admin' }],
    ['DATABASE_BOT_URL', { ...URLS, DATABASE_BOT_URL: 'postgres://db:5432' }],
    ['REDIS_URL', { REDIS_URL: 'localhost:6379' }],
    ['PORT', { PORT: '70000' }],
    ['APP_CONTEXTS', { APP_CONTEXTS: 'web,shop' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['DATABASE_MIGRATE', { DATABASE_MIGRATE: 'sometimes' }],
    ['NODE_ENV', { NODE_ENV: 'staging' }],
    ['TRUSTED_ORIGINS', { TRUSTED_ORIGINS: 'https://app.example.com/path' }],
    ['ADMIN_EMAIL', { ADMIN_EMAIL: 'not-an-email', ADMIN_PASSWORD: 'long enough' }],
    ['ADMIN_PASSWORD', { ADMIN_EMAIL: 'a@example.com', ADMIN_PASSWORD: 'short' }],
    ['ADMIN_PASSWORD', { ADMIN_EMAIL: 'a@example.com' }],
    ['TELEGRAM_BOT_TOKEN', { TELEGRAM_BOT_TOKEN: 'not-a-token' }],
    ['TELEGRAM_WEBHOOK_SECRET', { TELEGRAM_WEBHOOK_SECRET: 'short' }],
    ['TELEGRAM_WEBHOOK_SECRET', { TELEGRAM_BOT_TOKEN: `123:${'a'.repeat(35)}` }],
    ['TELEGRAM_WEBHOOK_URL', { TELEGRAM_WEBHOOK_URL: 'http://plain.example/hook' }],
    ['BOT_MODE', { BOT_MODE: 'carrier-pigeon' }],
    [
      'SESSION_ADMIN_ABSOLUTE_SECONDS',
      { SESSION_ADMIN_IDLE_SECONDS: '7200', SESSION_ADMIN_ABSOLUTE_SECONDS: '3600' },
    ],
    ['LOGIN_ACCOUNT_MAX_FAILURES', { LOGIN_ACCOUNT_MAX_FAILURES: '0' }],
    ['SINGLE_PROCESS', { SINGLE_PROCESS: 'maybe' }],
  ])('names %s when its value is malformed', (variable, env) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(new RegExp(`^${variable}: `));
    expect(error.message).not.toContain('\n');
  });

  it('needs the web database for an admin-only process: rates and reports go through the web services', () => {
    const config = loadConfig({
      APP_CONTEXTS: 'admin',
      DATABASE_IDENTITY_URL: URLS.DATABASE_IDENTITY_URL,
      DATABASE_ADMIN_URL: URLS.DATABASE_ADMIN_URL,
      DATABASE_WEB_URL: URLS.DATABASE_WEB_URL,
    });
    expect(Object.keys(config.database.urls).sort()).toEqual(['admin', 'identity', 'web']);
    expect(
      configError({
        APP_CONTEXTS: 'admin',
        DATABASE_IDENTITY_URL: URLS.DATABASE_IDENTITY_URL,
        DATABASE_ADMIN_URL: URLS.DATABASE_ADMIN_URL,
      }).variable,
    ).toBe('DATABASE_WEB_URL');
  });

  it('reads the step-up window and the metrics token, refusing malformed ones', () => {
    const config = loadConfig({
      ...URLS,
      ADMIN_STEP_UP_SECONDS: '120',
      METRICS_TOKEN: 'a'.repeat(16),
    });
    expect(config.admin.stepUpSeconds).toBe(120);
    expect(config.metricsToken).toBe('a'.repeat(16));
    expect(loadConfig(URLS).admin.stepUpSeconds).toBe(600);
    expect(loadConfig(URLS).metricsToken).toBeUndefined();
    expect(configError({ ...URLS, ADMIN_STEP_UP_SECONDS: '0' }).message).toMatch(
      /^ADMIN_STEP_UP_SECONDS: /,
    );
    // A password entry never counts for longer than 15 minutes, whatever is configured.
    expect(loadConfig({ ...URLS, ADMIN_STEP_UP_SECONDS: '900' }).admin.stepUpSeconds).toBe(900);
    expect(configError({ ...URLS, ADMIN_STEP_UP_SECONDS: '901' }).message).toMatch(
      /^ADMIN_STEP_UP_SECONDS: /,
    );
    expect(configError({ ...URLS, METRICS_TOKEN: 'short' }).message).toBe(
      'METRICS_TOKEN: must be at least 16 characters',
    );
  });

  it('names the missing URL when only some are set', () => {
    const { DATABASE_ADMIN_URL: _omitted, ...rest } = URLS;
    expect(configError(rest).variable).toBe('DATABASE_ADMIN_URL');
  });

  it('makes admin sessions shorter than web ones by default, and cookies Secure in production', () => {
    const config = loadConfig({});
    expect(config.sessions.lifetimes.admin.idleMs).toBeLessThan(
      config.sessions.lifetimes.web.idleMs,
    );
    expect(config.sessions.lifetimes.admin.absoluteMs).toBeLessThan(
      config.sessions.lifetimes.web.absoluteMs,
    );
    expect(config.http.cookieSecure).toBe(false);
    expect(loadConfig({ ...PRODUCTION }).http.cookieSecure).toBe(true);
    expect(loadConfig({ ...PRODUCTION, COOKIE_SECURE: 'false' }).http.cookieSecure).toBe(false);
  });

  describe('in production', () => {
    const { REDIS_URL: _none, ...withoutRedis } = PRODUCTION;

    it('refuses to start without Redis: each process would keep its own sessions', () => {
      const error = configError(withoutRedis);
      expect(error.message).toBe(
        'REDIS_URL: is required in production (or REDIS_SENTINELS, REDIS_CLUSTER_NODES), unless SINGLE_PROCESS=true',
      );
      expect(configError({ ...withoutRedis, SINGLE_PROCESS: 'false' }).variable).toBe('REDIS_URL');
    });

    it('keeps the API documentation (/docs) off unless API_DOCS turns it on', () => {
      expect(loadConfig(PRODUCTION).http.apiDocs).toBe(false);
      expect(loadConfig({ ...PRODUCTION, API_DOCS: 'true' }).http.apiDocs).toBe(true);
      expect(loadConfig({}).http.apiDocs).toBe(true);
      expect(loadConfig({ API_DOCS: 'false' }).http.apiDocs).toBe(false);
    });

    it('names every problem of a start in one message, not only the first', () => {
      const error = configError({
        NODE_ENV: 'production',
        DATABASE_IDENTITY_URL: 'postgres://db:5432/identity',
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
      });
      expect(error.variables).toEqual(['PORT', 'LOG_LEVEL']);
      const missing = configError({ ...URLS, NODE_ENV: 'production' });
      expect(missing.variables).toEqual(['REDIS_URL', 'SMTP_URL']);
      expect(missing.message).toBe(
        'REDIS_URL: is required in production (or REDIS_SENTINELS, REDIS_CLUSTER_NODES), unless SINGLE_PROCESS=true; SMTP_URL: is required in production, unless MAIL_ENABLED=false',
      );
    });

    it('refuses to start without an SMTP relay unless mail is said to be off', () => {
      const { SMTP_URL: _relay, ...withoutRelay } = PRODUCTION;
      expect(configError(withoutRelay).message).toBe(
        'SMTP_URL: is required in production, unless MAIL_ENABLED=false',
      );
      expect(loadConfig({ ...withoutRelay, MAIL_ENABLED: 'false' }).mail).toBeUndefined();
      expect(loadConfig(PRODUCTION).mail?.smtpUrl).toBe('smtp://relay:587');
      // In development, mail goes to files.
      expect(loadConfig({}).mail?.smtpUrl).toBeUndefined();
      expect(configError({ SMTP_URL: 'http://relay' }).message).toBe(
        'SMTP_URL: must be a URL like smtp://user:pass@host:587',
      );
    });

    it('accepts Redis Sentinel instead of REDIS_URL', () => {
      const config = loadConfig({ ...withoutRedis, REDIS_SENTINELS: 'sentinel-1:26379' });
      expect(config.redis.sentinel?.nodes).toEqual([{ host: 'sentinel-1', port: 26379 }]);
    });

    it('runs on the in-memory cache when told it is the only process', () => {
      const config = loadConfig({ ...withoutRedis, SINGLE_PROCESS: 'true' });
      expect(config.redis.url).toBeUndefined();
      expect(config.redis.sentinel).toBeUndefined();
    });

    it('needs neither outside production', () => {
      expect(loadConfig({ ...URLS }).redis.url).toBeUndefined();
    });
  });

  it('does not fall back to the embedded server in production', () => {
    expect(configError({ NODE_ENV: 'production' }).variable).toBe('DATABASE_IDENTITY_URL');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ REDIS_URL: '', PORT: '' }).http.port).toBe(3000);
  });

  it('does not echo the rejected value, which may be a secret', () => {
    const error = configError({ ...URLS, DATABASE_WEB_URL: 'secret-password-here' });
    expect(error.message).not.toContain('secret-password-here');
  });

  describe('documentation', () => {
    const schemaVariables = Object.keys(envSchema.shape).sort();
    /** `NAME=value` lines of .env.example, commented out or not. */
    const assignments = Object.fromEntries(
      [...readFileSync('.env.example', 'utf8').matchAll(/^(?:# )?([A-Z_]+)=(.*)$/gm)].map(
        ([, name, value]) => [name, value],
      ),
    );

    it('documents every variable in .env.example, and nothing else, with values that pass validation', () => {
      expect(Object.keys(assignments).sort()).toEqual(schemaVariables);
      // Sentinel and Cluster are alternatives: each example is valid, not both at once.
      const { REDIS_CLUSTER_NODES, ...withSentinels } = assignments;
      expect(() => loadConfig(withSentinels)).not.toThrow();
      expect(() =>
        loadConfig({ ...withSentinels, REDIS_SENTINELS: undefined, REDIS_CLUSTER_NODES }),
      ).not.toThrow();
      expect(() => loadConfig(assignments)).toThrow(
        /^REDIS_CLUSTER_NODES: cannot be set with REDIS_SENTINELS/,
      );
    });

    it('lists every variable in the configuration table of docs/configuration.md, and nothing else', () => {
      expect(documentedVariables()).toEqual(Object.keys(assignments).sort());
    });

    it("names only packages the project depends on in the README's library table", () => {
      const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as Record<
        string,
        Record<string, string> | undefined
      >;
      const installed = new Set(
        ['dependencies', 'devDependencies', 'optionalDependencies'].flatMap((field) =>
          Object.keys(manifest[field] ?? {}),
        ),
      );
      const named = readmeTable('Libraries').flatMap((row) =>
        [...(row[0] ?? '').matchAll(/`([@a-z0-9/._-]+)`/g)].map((match) => match[1] ?? ''),
      );
      expect(named.length).toBeGreaterThan(5);
      expect(named.filter((name) => !installed.has(name))).toEqual([]);
    });
  });
});
