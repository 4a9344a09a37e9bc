import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
  Unique,
} from 'typeorm';
import { User } from './user.entity.js';

/** A permission granted to a user in one application context. */
@Entity({ name: 'user_permissions' })
@Unique('UQ_user_permissions_user_permission_context', [
  'userId',
  'permission',
  'applicationContext',
])
@Index('IDX_user_permissions_context_user', ['applicationContext', 'userId'])
@Index('IDX_user_permissions_permission', ['permission', 'applicationContext'])
export class UserPermission {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_user_permissions_user' })
  user?: Relation<User>;

  @Column({ type: 'varchar', length: 100 })
  permission!: string;

  @Column({ name: 'application_context', type: 'varchar', length: 50 })
  applicationContext!: string;

  @CreateDateColumn({ name: 'granted_at', type: 'timestamptz' })
  grantedAt!: Date;

  @Column({ name: 'granted_by', type: 'uuid', nullable: true })
  grantedBy!: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;
}
