import { CacheInvalidation } from './cache-invalidation.entity.js';
import { Session } from './session.entity.js';

export { CacheInvalidation, Session };

/** The tables of the session store; they live in the database of the users they belong to. */
export const SESSION_ENTITIES = [Session, CacheInvalidation];
