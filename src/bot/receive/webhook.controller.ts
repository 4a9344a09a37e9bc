import { AllowAnonymous } from '@exchanger/identity';
import { BadRequestException, Body, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOperation } from '@nestjs/swagger';
import { AppContext } from '../../common/app-context.js';
import { AppController } from '../../common/http/app-controller.js';
import { SharedSecretGuard } from '../../common/http/shared-secret.guard.js';
import { WEBHOOK_SECRET, WEBHOOK_SECRET_HEADER } from '../bot-config.js';
import { receivedUpdate } from '../understand/update-shape.js';
import { UpdateInbox } from './update-inbox.js';
import { UpdateWorker } from './update-worker.js';

/** Telegram itself, holding TELEGRAM_WEBHOOK_SECRET (setWebhook's secret_token); 401 otherwise. */
export const WebhookSecretGuard = SharedSecretGuard(
  WEBHOOK_SECRET_HEADER,
  WEBHOOK_SECRET,
  'The Telegram webhook',
  401,
);

/**
 * Where Telegram delivers updates (webhook mode). An update is stored (once per
 * update_id) and answered at once; the workers handle it afterwards, so Telegram's
 * request never waits for the handling, and a failed handling is retried by us, not by
 * Telegram. A database that cannot store it answers 503: Telegram delivers it again later.
 */
@AppController(AppContext.Telegram, 'telegram')
export class WebhookController {
  constructor(
    private readonly inbox: UpdateInbox,
    private readonly worker: UpdateWorker,
  ) {}

  @Post('webhook')
  @AllowAnonymous()
  @UseGuards(WebhookSecretGuard)
  @HttpCode(HttpStatus.OK)
  @ApiHeader({ name: WEBHOOK_SECRET_HEADER, required: true })
  @ApiOperation({ summary: 'Telegram delivers an update (stored, then handled in the background)' })
  async receive(@Body() body: unknown): Promise<void> {
    const update = receivedUpdate(body);
    if (typeof update === 'string') throw new BadRequestException(update);
    if (await this.inbox.store(update)) this.worker.nudge();
  }
}
