import { InjectDataSource } from '@nestjs/typeorm';
import { Database } from '../../common/app-context.js';

/**
 * Injects the admin database's DataSource. One file per database, so that the dependency
 * rules see which application opens which database.
 */
export const InjectAdminDataSource = (): ParameterDecorator => InjectDataSource(Database.Admin);
