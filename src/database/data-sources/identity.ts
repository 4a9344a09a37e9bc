import { InjectDataSource } from '@nestjs/typeorm';
import { Database } from '../../common/app-context.js';

/**
 * Injects the identity database's DataSource. One file per database, so that the dependency
 * rules see which application opens which database.
 */
export const InjectIdentityDataSource = (): ParameterDecorator =>
  InjectDataSource(Database.Identity);
