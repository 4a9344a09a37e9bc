import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { DataSourceRef } from '../database/data-source-ref.js';
import type { UndeclaredRoutes } from './http/guards.js';
import type { IdentityModuleOptions } from './identity.options.js';

/**
 * Decided when the module is defined, not by the (possibly async) options: the DataSource
 * token and the guards are providers whose shape Nest must know before any factory runs.
 */
export interface IdentityModuleExtras {
  /**
   * The DataSource of the identity store (users, permissions, sessions): its TypeORM name or
   * the instance. Default: TypeORM's default DataSource.
   */
  readonly dataSource?: DataSourceRef;
  /**
   * Install the origin, authentication and permission guards for every route (default
   * true): routes are then refused unless they declare a context or PUBLIC. Opt out only to
   * apply the exported guards yourself.
   */
  readonly globalGuards?: boolean;
  /**
   * Controllers that declare neither a context nor PUBLIC: `refuse` (default) stops the
   * start and refuses their routes; `public` serves them without a session.
   */
  readonly undeclaredRoutes?: UndeclaredRoutes;
  /**
   * Make the module's services visible to every module of the host (default true: the
   * guards and `forFeature` routes of every application need them).
   */
  readonly isGlobal?: boolean;
  /**
   * The identity tables at start: `run` brings them up to date (`runIdentityMigrations`);
   * `check` (default) only makes sure they are, and stops the start naming what is missing.
   */
  readonly migrations?: 'run' | 'check';
  /** The PostgreSQL schema of the identity tables (see `runIdentityMigrations`). */
  readonly schema?: string;
}

export const IDENTITY_EXTRAS_DEFAULTS: IdentityModuleExtras = {
  globalGuards: true,
  undeclaredRoutes: 'refuse',
  isGlobal: true,
  migrations: 'check',
};

/**
 * `forRoot(options)` and `forRootAsync({ useFactory | useClass | useExisting, inject,
 * imports })` the way Nest's own modules take them; the extras go beside either form.
 */
export const {
  ConfigurableModuleClass: IdentityModuleBase,
  MODULE_OPTIONS_TOKEN: IDENTITY_RAW_OPTIONS,
  ASYNC_OPTIONS_TYPE: IDENTITY_ASYNC_OPTIONS_TYPE,
  OPTIONS_TYPE: IDENTITY_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<IdentityModuleOptions>({ moduleName: 'Identity' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createIdentityOptions')
  .setExtras<IdentityModuleExtras>(IDENTITY_EXTRAS_DEFAULTS, (definition) => definition)
  .build();

/** `forRootAsync`'s argument: a factory, a class or an existing provider, plus the extras. */
export type IdentityModuleAsyncOptions = typeof IDENTITY_ASYNC_OPTIONS_TYPE;
/** `forRoot`'s argument: the options and the extras. */
export type IdentityModuleRootOptions = typeof IDENTITY_OPTIONS_TYPE;
