import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'system_metrics' })
@Index('IDX_system_metrics_name_recorded', ['metricName', 'recordedAt'])
export class SystemMetric {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'metric_name', type: 'varchar', length: 255 })
  metricName!: string;

  @Column({ name: 'metric_value', type: 'numeric', precision: 18, scale: 8, nullable: true })
  metricValue!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  tags!: Record<string, unknown> | null;

  @Column({ name: 'recorded_at', type: 'timestamptz', default: () => 'now()' })
  recordedAt!: Date;
}
