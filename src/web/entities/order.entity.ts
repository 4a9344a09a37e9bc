import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';

export enum OrderStatus {
  Pending = 'pending',
  Paid = 'paid',
  Completed = 'completed',
  Cancelled = 'cancelled',
  Failed = 'failed',
}

/** An exchange order. `user_id` refers to identity users; there is no cross-database key. */
@Entity({ name: 'orders' })
@Index('IDX_orders_user_created', ['userId', 'createdAt'])
@Unique('UQ_orders_user_idempotency_key', ['userId', 'idempotencyKey'])
@Check(
  'CHK_orders_amount_positive',
  '"amount" > 0 AND "exchange_rate" > 0 AND "counter_amount" > 0',
)
@Check('CHK_orders_status', `"status" IN ('pending', 'paid', 'completed', 'cancelled', 'failed')`)
export class Order {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'from_currency', type: 'varchar', length: 10 })
  fromCurrency!: string;

  @Column({ name: 'to_currency', type: 'varchar', length: 10 })
  toCurrency!: string;

  @Column({ type: 'numeric', precision: 18, scale: 8 })
  amount!: string;

  @Column({ name: 'exchange_rate', type: 'numeric', precision: 18, scale: 8 })
  exchangeRate!: string;

  /** amount × exchange_rate, rounded half away from zero to 8 places: what the customer receives. */
  @Column({ name: 'counter_amount', type: 'numeric', precision: 18, scale: 8 })
  counterAmount!: string;

  @Column({ type: 'varchar', length: 50, default: OrderStatus.Pending })
  status!: OrderStatus;

  /** The client's Idempotency-Key, with the hash of the request it came with. */
  @Column({ name: 'idempotency_key', type: 'varchar', length: 255, nullable: true })
  idempotencyKey!: string | null;

  @Column({ name: 'request_hash', type: 'varchar', length: 64, nullable: true })
  requestHash!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
