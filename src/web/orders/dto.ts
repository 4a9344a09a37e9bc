import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { PaymentStatus } from '../entities/index.js';
import { ORDERS_PAGE_SIZE } from './orders.service.js';
import { PageLimit } from '../../common/http/query-fields.js';

const CODE = /^[A-Z0-9]{3,10}$/;
const CODE_MESSAGE = 'must be a currency code of 3 to 10 upper-case letters or digits';
/** A positive decimal string that fits numeric(18,8); compared as a decimal, never a float. */
const DECIMAL = /^\d{1,10}(\.\d{1,8})?$/;
const DECIMAL_MESSAGE = 'must be a decimal string with at most 10 integer digits and 8 decimals';

export class CreateOrderDto {
  @ApiProperty({ example: 'USD' })
  @IsString({ message: `fromCurrency ${CODE_MESSAGE}` })
  @Matches(CODE, { message: `fromCurrency ${CODE_MESSAGE}` })
  fromCurrency!: string;

  @ApiProperty({ example: 'EUR' })
  @IsString({ message: `toCurrency ${CODE_MESSAGE}` })
  @Matches(CODE, { message: `toCurrency ${CODE_MESSAGE}` })
  toCurrency!: string;

  /** A string, never a JSON number: money is not a float. */
  @ApiProperty({ example: '100.50', description: 'Decimal string, > 0, at most 8 decimals' })
  @IsString({ message: 'amount must be a decimal string such as "100.50"' })
  @Matches(DECIMAL, {
    message:
      'amount must be a positive decimal string with at most 10 integer digits and 8 decimals',
  })
  amount!: string;

  /** The rate the customer was shown: the order is refused (409) unless it is still the rate. */
  @ApiPropertyOptional({
    example: '0.92',
    description: 'Decimal string: place the order only at this rate, else 409 rate_changed',
  })
  @IsOptional()
  @IsString({ message: 'expectedRate must be a decimal string such as "0.92"' })
  @Matches(DECIMAL, { message: `expectedRate ${DECIMAL_MESSAGE}` })
  expectedRate?: string;
}

export class ListOrdersQuery {
  @PageLimit(100, ORDERS_PAGE_SIZE)
  limit = ORDERS_PAGE_SIZE;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'offset must be a whole number, 0 or more' })
  @Min(0, { message: 'offset must be a whole number, 0 or more' })
  @Max(1_000_000, { message: 'offset must be at most 1000000' })
  offset = 0;
}

export class CreatePaymentDto {
  @ApiProperty({ example: 'card' })
  @IsString({ message: 'paymentMethod must be a string' })
  @Length(1, 100, { message: 'paymentMethod must be 1 to 100 characters' })
  @Matches(/^[\w .-]+$/, {
    message: 'paymentMethod may hold letters, digits, spaces, dots and dashes',
  })
  paymentMethod!: string;
}

/** The payment provider's signed word on one payment (see provider-signature.guard.ts). */
export class PaymentConfirmationDto {
  /** The payment the signature covers: it must be the one in the URL. */
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'paymentId must be a UUID' })
  paymentId!: string;

  @ApiProperty({ enum: [PaymentStatus.Completed, PaymentStatus.Failed] })
  @IsIn([PaymentStatus.Completed, PaymentStatus.Failed], {
    message: 'status must be completed or failed',
  })
  status!: PaymentStatus.Completed | PaymentStatus.Failed;

  @ApiProperty({ example: '100.00', description: 'Decimal string: the amount the provider took' })
  @IsString({ message: `amount ${DECIMAL_MESSAGE}` })
  @Matches(DECIMAL, { message: `amount ${DECIMAL_MESSAGE}` })
  amount!: string;

  @ApiProperty({ example: 'USD' })
  @IsString({ message: `currency ${CODE_MESSAGE}` })
  @Matches(CODE, { message: `currency ${CODE_MESSAGE}` })
  currency!: string;

  /** The provider's own id of the transaction; one reference confirms one payment. */
  @ApiProperty({ example: 'pay_7Hq2x' })
  @IsString({ message: 'reference must be 1 to 255 visible ASCII characters' })
  @Matches(/^[\x21-\x7e]{1,255}$/, {
    message: 'reference must be 1 to 255 visible ASCII characters',
  })
  reference!: string;
}

/** The payment provider's signed word that an order's exchanged amount was sent. */
export class PayoutConfirmationDto {
  /** The order the signature covers: it must be the one in the URL. */
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'orderId must be a UUID' })
  orderId!: string;
}
