import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A setting of the web application that staff change at run time (see WebSettings). */
@Entity({ name: 'web_settings' })
export class WebSetting {
  @PrimaryColumn({ type: 'varchar', length: 100, primaryKeyConstraintName: 'PK_web_settings' })
  key!: string;

  @Column({ type: 'jsonb' })
  value!: unknown;

  /** The staff member who set it. */
  @Column({ name: 'updated_by', type: 'uuid', nullable: true })
  updatedBy!: string | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
