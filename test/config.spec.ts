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
  ])('names %s when its value is malformed', (variable, env) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(new RegExp(`^${variable}: `));
    expect(error.message).not.toContain('\n');
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
    expect(loadConfig({ ...URLS, NODE_ENV: 'production' }).http.cookieSecure).toBe(true);
    expect(
      loadConfig({ ...URLS, NODE_ENV: 'production', COOKIE_SECURE: 'false' }).http.cookieSecure,
    ).toBe(false);
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

  it('documents every variable in .env.example, with a value that passes validation', () => {
    const example = readFileSync('.env.example', 'utf8');
    const assignments = Object.fromEntries(
      [...example.matchAll(/^(?:# )?([A-Z_]+)=(.*)$/gm)].map(([, name, value]) => [name, value]),
    );
    expect(Object.keys(envSchema.shape).filter((name) => !(name in assignments))).toEqual([]);
    expect(() => loadConfig(assignments)).not.toThrow();
  });
});
