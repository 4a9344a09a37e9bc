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
  Unique,
} from 'typeorm';
import { Order } from './order.entity.js';
import { Payment } from './payment.entity.js';

export enum LedgerEntryType {
  /** The customer's payment arrived (in the order's from-currency). */
  PaymentReceived = 'payment_received',
  /** The exchanged amount was sent to the customer (in the to-currency). */
  PayoutSent = 'payout_sent',
  /** A received payment was returned (in the from-currency). */
  Refund = 'refund',
}

/**
 * The ledger (`transactions`): one row per money movement, never updated or deleted
 * (a trigger refuses both).
 * Each movement happens at most once per order, which the unique key enforces, so a
 * retried or concurrent confirmation cannot book money twice.
 */
@Entity({ name: 'transactions' })
@Unique('UQ_transactions_order_entry_type', ['orderId', 'entryType'])
@Index('IDX_transactions_user_created', ['userId', 'createdAt'])
@Check('CHK_transactions_amount_positive', '"amount" > 0')
export class LedgerEntry {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @ManyToOne(() => Order, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'order_id', foreignKeyConstraintName: 'FK_transactions_order' })
  order?: Relation<Order>;

  @Column({ name: 'payment_id', type: 'uuid', nullable: true })
  paymentId!: string | null;

  @ManyToOne(() => Payment, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'payment_id', foreignKeyConstraintName: 'FK_transactions_payment' })
  payment?: Relation<Payment>;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'entry_type', type: 'varchar', length: 30 })
  entryType!: LedgerEntryType;

  @Column({ type: 'varchar', length: 10 })
  currency!: string;

  /** Always positive; the direction is given by the entry type. */
  @Column({ type: 'numeric', precision: 18, scale: 8 })
  amount!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
