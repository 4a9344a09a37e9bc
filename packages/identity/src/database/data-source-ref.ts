import type { Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** A DataSource given to a module: its name (as registered with TypeOrmModule) or the instance. */
export type DataSourceRef = string | DataSource;

/**
 * Provides `token` as the referenced DataSource. A name resolves through @nestjs/typeorm's
 * token, so Nest waits for that DataSource to be initialised before anything uses it.
 */
export function dataSourceProvider(token: symbol, ref: DataSourceRef | undefined): Provider {
  return ref instanceof DataSource
    ? { provide: token, useValue: ref }
    : { provide: token, useExisting: getDataSourceToken(ref) };
}
