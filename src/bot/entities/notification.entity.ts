import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'notifications' })
@Index('IDX_notifications_sent_created', ['sent', 'createdAt'])
export class Notification {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'telegram_user_id', type: 'bigint', nullable: true })
  telegramUserId!: string | null;

  @Column({ type: 'text' })
  message!: string;

  @Column({ name: 'notification_type', type: 'varchar', length: 100 })
  notificationType!: string;

  @Column({ type: 'boolean', default: false })
  sent!: boolean;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
