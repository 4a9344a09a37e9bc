import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { PaymentStatus } from '../entities/index.js';
import { ORDERS_PAGE_SIZE } from './orders.service.js';
import { PageLimit } from '../../common/http/query-fields.js';

const CODE = /^[A-Z0-9]{3,10}$/;
const CODE_MESSAGE = 'must be a currency code of 3 to 10 upper-case letters or digits';

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
  @Matches(/^\d{1,10}(\.\d{1,8})?$/, {
    message:
      'amount must be a positive decimal string with at most 10 integer digits and 8 decimals',
  })
  amount!: string;
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

export class PaymentConfirmationDto {
  @ApiProperty({ enum: [PaymentStatus.Completed, PaymentStatus.Failed] })
  @IsIn([PaymentStatus.Completed, PaymentStatus.Failed], {
    message: 'status must be completed or failed',
  })
  status!: PaymentStatus.Completed | PaymentStatus.Failed;
}
