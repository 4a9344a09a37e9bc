import { InjectDataSource } from '@nestjs/typeorm';
import { Database } from '../../common/app-context.js';

/**
 * Injects the web database's DataSource. One file per database, so that the dependency
 * rules see which application opens which database.
 */
export const InjectWebDataSource = (): ParameterDecorator => InjectDataSource(Database.Web);
