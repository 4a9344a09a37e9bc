import { Body, HttpCode, HttpStatus, Param, Post, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOperation } from '@nestjs/swagger';
import { AppContext } from '../../common/app-context.js';
import { UUID_PARAM } from '../../common/http/uuid-param.js';
import { AllowAnonymous, AppController } from '../../common/http/route-context.js';
import { SharedSecretGuard } from '../../common/http/shared-secret.guard.js';
import { PaymentConfirmationDto } from './dto.js';
import { type OrderView, OrdersService, type PaymentView } from './orders.service.js';

const PROVIDER_SECRET_HEADER = 'x-provider-secret';
/** PAYMENT_PROVIDER_SECRET (or undefined), provided by WebModule. */
export const PROVIDER_SECRET = Symbol('PROVIDER_SECRET');

/** Only the payment provider, holding PAYMENT_PROVIDER_SECRET, confirms payments and payouts. */
export const ProviderSecretGuard = SharedSecretGuard(
  PROVIDER_SECRET_HEADER,
  PROVIDER_SECRET,
  'Payment confirmation',
);

/** Server-to-server: the payment provider's confirmations (no user session). */
@AppController(AppContext.Web, 'provider')
@AllowAnonymous()
@UseGuards(ProviderSecretGuard)
export class ProviderController {
  constructor(private readonly orders: OrdersService) {}

  @Post('payments/:id')
  @HttpCode(HttpStatus.OK)
  @ApiHeader({ name: PROVIDER_SECRET_HEADER, required: true })
  @ApiOperation({
    summary: 'A pending payment completed (order → paid) or failed (order → failed)',
  })
  confirmPayment(
    @Param('id', UUID_PARAM) id: string,
    @Body() body: PaymentConfirmationDto,
  ): Promise<PaymentView> {
    return this.orders.confirmPayment(id, body.status);
  }

  @Post('orders/:id/payout')
  @HttpCode(HttpStatus.OK)
  @ApiHeader({ name: PROVIDER_SECRET_HEADER, required: true })
  @ApiOperation({
    summary: 'The exchanged amount was sent to the customer (order paid → completed)',
  })
  confirmPayout(@Param('id', UUID_PARAM) id: string): Promise<OrderView> {
    return this.orders.confirmPayout(id);
  }
}
