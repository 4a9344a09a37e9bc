import { BadRequestException, Body, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOperation } from '@nestjs/swagger';
import { AppContext } from '../common/app-context.js';
import { AllowAnonymous, AppController } from '../common/http/route-context.js';
import { SharedSecretGuard } from '../common/http/shared-secret.guard.js';
import {
  Client,
  SecurityEventsService,
  TelegramLinkDto,
  TelegramLinkService,
  userView,
  UsersService,
} from '../identity/index.js';
import { type ClientInfo, SessionService } from '../session/index.js';
import { ConversationsService } from './conversations.service.js';

const BOT_SECRET_HEADER = 'x-bot-secret';

/** Only the bot's own backend, holding BOT_API_SECRET, may link accounts. */
export const BotSecretGuard = SharedSecretGuard(
  BOT_SECRET_HEADER,
  (config) => config.get('botApiSecret', { infer: true }),
  'Telegram linking',
);

@AppController(AppContext.Telegram, 'auth')
export class BotLinkController {
  constructor(
    private readonly links: TelegramLinkService,
    private readonly sessions: SessionService,
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
    const userId = await this.links.consume(body.code);
    if (userId === undefined) throw new BadRequestException('code is unknown, used or expired');
    const user = await this.users.get(userId);
    await this.conversations.link(body.telegramUserId, userId);
    const created = await this.sessions.create(AppContext.Telegram, userId, client);
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
