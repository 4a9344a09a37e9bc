/**
 * The three applications served by this backend. Every per-application name —
 * database, route prefix, cookie, Redis namespace — is derived from this enum,
 * so a context is never spelled as a loose string elsewhere.
 */
export enum AppContext {
  Web = 'web',
  Admin = 'admin',
  Telegram = 'telegram',
}

export const ALL_CONTEXTS: readonly AppContext[] = Object.values(AppContext);

/** The four PostgreSQL databases: the shared identity store and one per application. */
export enum Database {
  Identity = 'identity',
  Web = 'web',
  Admin = 'admin',
  Bot = 'bot',
}

export interface ContextDescriptor {
  readonly context: AppContext;
  /** Named TypeORM DataSource (and database) owned by this application. */
  readonly database: Database;
  /** HTTP prefix of the application's routes, without slashes. */
  readonly routePrefix: string;
  /** Cookie that carries the session token of this context. */
  readonly sessionCookie: string;
  /** Redis namespace of the application's data cache (see docs/caching.md). */
  readonly cacheNamespace: string;
  /**
   * Other applications' databases this one reaches through their exported services (the
   * admin sets rates and reports on web data, the bot places orders, through the web
   * application's services): a process mounting it needs them too, but does not migrate them.
   */
  readonly borrowedDatabases: readonly Database[];
}

function describe(
  context: AppContext,
  database: Database,
  borrowedDatabases: readonly Database[] = [],
): ContextDescriptor {
  return {
    context,
    database,
    borrowedDatabases,
    routePrefix: database,
    sessionCookie: `${context}_session`,
    cacheNamespace: `cache:${context}`,
  };
}

export const CONTEXTS: Readonly<Record<AppContext, ContextDescriptor>> = {
  [AppContext.Web]: describe(AppContext.Web, Database.Web),
  [AppContext.Admin]: describe(AppContext.Admin, Database.Admin, [Database.Web]),
  [AppContext.Telegram]: describe(AppContext.Telegram, Database.Bot, [Database.Web]),
};

/** Databases a process needs when it mounts the given contexts: identity always, each once. */
export function databasesFor(contexts: readonly AppContext[]): Database[] {
  const used = contexts.flatMap((context) => [
    CONTEXTS[context].database,
    ...CONTEXTS[context].borrowedDatabases,
  ]);
  return [...new Set([Database.Identity, ...used])];
}

/** Whether a process mounting these contexts migrates the database (it is not only borrowed). */
export function migratesDatabase(contexts: readonly AppContext[], database: Database): boolean {
  return (
    database === Database.Identity ||
    contexts.some((context) => CONTEXTS[context].database === database)
  );
}

/** Default PostgreSQL database name: `exchanger_identity`, `exchanger_web`, … */
export function defaultDatabaseName(database: Database): string {
  return `exchanger_${database}`;
}
