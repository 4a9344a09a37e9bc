import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'user_commands' })
@Index('IDX_user_commands_telegram_user_executed', ['telegramUserId', 'executedAt'])
export class UserCommand {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'telegram_user_id', type: 'bigint' })
  telegramUserId!: string;

  @Column({ type: 'varchar', length: 255 })
  command!: string;

  @Column({ type: 'jsonb', nullable: true })
  parameters!: Record<string, unknown> | null;

  /** How it ended: ok, usage, unlinked, forbidden, refused (the web application said no). */
  @Column({ type: 'varchar', length: 50, nullable: true })
  result!: string | null;

  @Column({ name: 'duration_ms', type: 'integer', nullable: true })
  durationMs!: number | null;

  @Column({ name: 'update_id', type: 'bigint', nullable: true })
  updateId!: string | null;

  @Column({ name: 'executed_at', type: 'timestamptz', default: () => 'now()' })
  executedAt!: Date;
}
