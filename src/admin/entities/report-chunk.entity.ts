import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Report } from './report.entity.js';

/**
 * A report's content, in order, a chunk per row: kept in the database, so any process
 * serves the download and no process keeps files of its own.
 */
@Entity({ name: 'report_chunks' })
export class ReportChunk {
  @PrimaryColumn({ name: 'report_id', type: 'uuid' })
  reportId!: string;

  @ManyToOne(() => Report, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'report_id', foreignKeyConstraintName: 'FK_report_chunks_report' })
  report?: Relation<Report>;

  @PrimaryColumn({ type: 'integer' })
  seq!: number;

  @Column({ type: 'bytea' })
  data!: Buffer;
}
