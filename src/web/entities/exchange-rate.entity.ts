import { Check, Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** A rate for one currency pair over a validity window; the current one is the latest started. */
@Entity({ name: 'exchange_rates' })
@Unique('UQ_exchange_rates_pair_valid_from', ['fromCurrency', 'toCurrency', 'validFrom'])
@Check('CHK_exchange_rates_rate', '"rate" > 0 AND "from_currency" <> "to_currency"')
export class ExchangeRate {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'from_currency', type: 'varchar', length: 10 })
  fromCurrency!: string;

  @Column({ name: 'to_currency', type: 'varchar', length: 10 })
  toCurrency!: string;

  /** numeric(18,8), read as a string so no precision is lost to floats. */
  @Column({ type: 'numeric', precision: 18, scale: 8 })
  rate!: string;

  @Column({ name: 'valid_from', type: 'timestamptz', default: () => 'now()' })
  validFrom!: Date;

  @Column({ name: 'valid_until', type: 'timestamptz', nullable: true })
  validUntil!: Date | null;
}
