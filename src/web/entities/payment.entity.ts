import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { Order } from './order.entity.js';

export enum PaymentStatus {
  Pending = 'pending',
  Completed = 'completed',
  Failed = 'failed',
}

@Entity({ name: 'payments' })
@Index('IDX_payments_order', ['orderId'])
@Index('UQ_payments_provider_reference', ['providerReference'], { unique: true })
@Check('CHK_payments_status', `"status" IN ('pending', 'completed', 'failed')`)
export class Payment {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @ManyToOne(() => Order, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'order_id', foreignKeyConstraintName: 'FK_payments_order' })
  order?: Relation<Order>;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'payment_method', type: 'varchar', length: 100 })
  paymentMethod!: string;

  @Column({ type: 'numeric', precision: 18, scale: 8 })
  amount!: string;

  @Column({ type: 'varchar', length: 50, default: PaymentStatus.Pending })
  status!: PaymentStatus;

  /** The payment provider's id of the transaction, kept with its confirmation; one payment each. */
  @Column({ name: 'provider_reference', type: 'varchar', length: 255, nullable: true })
  providerReference!: string | null;

  /** When the provider confirmed the outcome. */
  @Column({ name: 'confirmed_at', type: 'timestamptz', nullable: true })
  confirmedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
