import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/**
 * Versioned configuration documents (fee schedules, limits): a change is a new version,
 * so the history stays, and exactly the active version applies. `admin_settings` holds
 * single values; this holds documents that are reviewed and switched as a whole.
 */
@Entity({ name: 'configurations' })
@Unique('UQ_configurations_name_version', ['name', 'version'])
// At most one active version per kind.
@Index('UQ_configurations_active', ['name'], { unique: true, where: '"active"' })
export class Configuration {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'jsonb' })
  value!: unknown;

  @Column({ type: 'boolean', default: false })
  active!: boolean;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
