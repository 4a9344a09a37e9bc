import { AllowAnonymous } from '@exchanger/identity';
import {
  applyDecorators,
  BadRequestException,
  Body,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AppContext } from '../../common/app-context.js';
import { KeepRawBody } from '../../common/http/raw-body.js';
import { UUID_PARAM } from '../../common/http/uuid-param.js';
import { AppController } from '../../common/http/app-controller.js';
import { PaymentConfirmationDto, PayoutConfirmationDto } from './dto.js';
import { type OrderView, OrdersService, type PaymentView } from './orders.service.js';
import {
  PROVIDER_SIGNATURE_HEADER,
  PROVIDER_TIMESTAMP_HEADER,
  ProviderSignatureGuard,
} from './provider-signature.guard.js';

/** The headers of the signed contract, in the API description. */
const SignedByProvider = (): MethodDecorator =>
  applyDecorators(
    ApiHeader({ name: PROVIDER_TIMESTAMP_HEADER, required: true, description: 'Unix seconds' }),
    ApiHeader({
      name: PROVIDER_SIGNATURE_HEADER,
      required: true,
      description: 'hex HMAC-SHA256 of `timestamp + "." + body` with PAYMENT_PROVIDER_SECRET',
    }),
  );

/** Server-to-server: the payment provider's signed confirmations (no user session). */
@AppController(AppContext.Web, 'provider')
@AllowAnonymous()
@UseGuards(ProviderSignatureGuard)
export class ProviderController {
  constructor(private readonly orders: OrdersService) {}

  @Post('payments/:id')
  @HttpCode(HttpStatus.OK)
  @KeepRawBody()
  @SignedByProvider()
  @ApiOperation({
    summary: 'A pending payment completed (order → paid) or failed (order → failed)',
  })
  @ApiResponse({ status: 409, description: 'Amount, currency or reference do not match' })
  async confirmPayment(
    @Param('id', UUID_PARAM) id: string,
    @Body() body: PaymentConfirmationDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PaymentView> {
    const { payment, replayed } = await this.orders.confirmPayment(id, body);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return payment;
  }

  @Post('orders/:id/payout')
  @HttpCode(HttpStatus.OK)
  @KeepRawBody()
  @SignedByProvider()
  @ApiOperation({
    summary: 'The exchanged amount was sent to the customer (order paid → completed)',
  })
  confirmPayout(
    @Param('id', UUID_PARAM) id: string,
    @Body() body: PayoutConfirmationDto,
  ): Promise<OrderView> {
    if (body.orderId !== id) throw new BadRequestException('orderId must be the order in the URL');
    return this.orders.confirmPayout(id);
  }
}
