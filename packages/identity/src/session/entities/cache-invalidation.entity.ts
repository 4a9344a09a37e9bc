import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Transactional outbox of cache invalidations. A row is written in the same transaction as
 * the change it invalidates (a revoked session, a changed permission) and deleted once Redis
 * has applied it; rows left behind (Redis unreachable, process crashed) are applied by every
 * process before it trusts the cache again.
 */
@Entity({ name: 'cache_invalidations' })
@Index('IDX_cache_invalidations_created', ['createdAt'])
export class CacheInvalidation {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  /** Full Redis key to invalidate. */
  @Column({ name: 'cache_key', type: 'varchar', length: 255 })
  cacheKey!: string;

  /** After this instant the cached entry cannot exist any more, so the row is moot. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
