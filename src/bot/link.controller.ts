import { Body, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { AppContext } from '../common/app-context.js';
import { AllowAnonymous, AppController } from '../common/http/route-context.js';
import { SharedSecretGuard } from '../common/http/shared-secret.guard.js';
import {
  Client,
  LinkCodesService,
  SecurityEventsService,
  UsersService,
  userView,
} from '../identity/index.js';
import type { ClientInfo } from '../session/index.js';
import { ConversationsService } from './conversations.service.js';

const BOT_SECRET_HEADER = 'x-bot-secret';
/** BOT_API_SECRET (or undefined), provided by BotModule. */
export const BOT_SECRET = Symbol('BOT_SECRET');

/** Only the bot's own backend, holding BOT_API_SECRET, may link accounts. */
export const BotSecretGuard = SharedSecretGuard(BOT_SECRET_HEADER, BOT_SECRET, 'Telegram linking');

export class TelegramLinkDto {
  @ApiProperty({ description: 'Telegram user id (digits)', example: '123456789' })
  @IsString({ message: 'telegramUserId must be a string of digits' })
  @Matches(/^[1-9][0-9]{0,18}$/, { message: 'telegramUserId must be a string of digits' })
  telegramUserId!: string;

  @ApiProperty({ description: 'The code from /start CODE' })
  @IsString({ message: 'code must be a string' })
  @Matches(/^[A-Za-z0-9_-]{22}$/, { message: 'code is malformed' })
  code!: string;
}

@AppController(AppContext.Telegram, 'auth')
export class BotLinkController {
  constructor(
    private readonly codes: LinkCodesService,
    private readonly users: UsersService,
    private readonly conversations: ConversationsService,
    private readonly events: SecurityEventsService,
  ) {}

  @Post('link')
  @AllowAnonymous()
  @UseGuards(BotSecretGuard)
  @HttpCode(HttpStatus.CREATED)
  @ApiHeader({ name: BOT_SECRET_HEADER, required: true })
  @ApiOperation({
    summary:
      'Link a Telegram user with a code issued to a web session (/start CODE); returns a telegram session token',
  })
  async link(@Body() body: TelegramLinkDto, @Client() client: ClientInfo) {
    const { userId, created } = await this.codes.redeem(body.code, AppContext.Telegram, client, {
      telegramUserId: body.telegramUserId,
    });
    const user = await this.users.get(userId);
    await this.conversations.link(body.telegramUserId, userId);
    await this.events.record({
      type: 'telegram.linked',
      context: AppContext.Telegram,
      userId,
      client,
      details: { telegramUserId: body.telegramUserId },
    });
    return {
      user: userView(user),
      token: created.token,
      expiresAt: new Date(created.session.expiresAt).toISOString(),
    };
  }
}
