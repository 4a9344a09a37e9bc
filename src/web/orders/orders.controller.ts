import { type AuthenticatedSession, CurrentSession, RequirePermissions } from '@exchanger/identity';
import {
  BadRequestException,
  Body,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AppContext } from '../../common/app-context.js';
import { UUID_PARAM } from '../../common/http/uuid-param.js';
import { AppController } from '../../common/http/app-controller.js';
import { Permission } from '../../common/permissions.js';
import { CreateOrderDto, CreatePaymentDto, ListOrdersQuery } from './dto.js';
import { type OrderView, OrdersService, type PaymentView } from './orders.service.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

@AppController(AppContext.Web, 'orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @RequirePermissions(Permission.OrdersWrite)
  @HttpCode(HttpStatus.CREATED)
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Same key and body: the same order',
  })
  @ApiOperation({ summary: 'Place an order at the current rate, which it locks in' })
  @ApiResponse({ status: 409, description: 'The Idempotency-Key was used with another body' })
  async create(
    @CurrentSession() current: AuthenticatedSession,
    @Body() body: CreateOrderDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderView> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new BadRequestException('Idempotency-Key must be 1 to 255 visible ASCII characters');
    }
    const { order, replayed } = await this.orders.create(current.user.id, body, idempotencyKey);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return order;
  }

  @Get()
  @RequirePermissions(Permission.OrdersRead)
  @ApiOperation({ summary: "The user's orders, newest first" })
  @ApiResponse({ status: 200, description: 'An array of orders' })
  list(
    @CurrentSession() current: AuthenticatedSession,
    @Query() query: ListOrdersQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    // JSON text, sent as stored in the cache when it is the first page.
    void reply.type('application/json; charset=utf-8');
    return this.orders.listJson(current.user.id, query.limit, query.offset);
  }

  @Get(':id')
  @RequirePermissions(Permission.OrdersRead)
  @ApiOperation({ summary: 'One of the user’s orders (404 for any other)' })
  get(
    @CurrentSession() current: AuthenticatedSession,
    @Param('id', UUID_PARAM) id: string,
  ): Promise<OrderView> {
    return this.orders.get(current.user.id, id);
  }

  @Post(':id/cancel')
  @RequirePermissions(Permission.OrdersWrite)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Cancel a pending order (409 otherwise)' })
  cancel(
    @CurrentSession() current: AuthenticatedSession,
    @Param('id', UUID_PARAM) id: string,
  ): Promise<OrderView> {
    return this.orders.cancel(current.user.id, id);
  }

  @Post(':id/payments')
  @RequirePermissions(Permission.OrdersWrite)
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Start paying a pending order: a pending payment of its amount' })
  pay(
    @CurrentSession() current: AuthenticatedSession,
    @Param('id', UUID_PARAM) id: string,
    @Body() body: CreatePaymentDto,
  ): Promise<PaymentView> {
    return this.orders.createPayment(current.user.id, id, body.paymentMethod);
  }
}
