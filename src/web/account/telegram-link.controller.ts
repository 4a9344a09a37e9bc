import {
  type AuthenticatedSession,
  Client,
  type ClientInfo,
  CurrentSession,
  LinkCodesService,
  SecurityEventsService,
  SessionService,
} from '@exchanger/identity';
import { Delete, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { AppContext } from '../../common/app-context.js';
import { AppController } from '../../common/http/app-controller.js';

/**
 * The customer's Telegram link, seen from the web account: a one-time code to send to the
 * bot (`/start CODE`, then Confirm), whether an account is linked, and ending the link. A
 * linked account is an active telegram session of the user; the code is good only while
 * the web session that asked for it is.
 */
@AppController(AppContext.Web, 'auth/telegram')
export class TelegramLinkController {
  constructor(
    private readonly codes: LinkCodesService,
    private readonly sessions: SessionService,
    private readonly events: SecurityEventsService,
  ) {}

  @Post('link-code')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    summary:
      'A one-time code to send to the bot as /start CODE (10 minutes); a user holds three live codes at most, a new one voids the oldest',
  })
  async issue(@CurrentSession() current: AuthenticatedSession) {
    const { code, expiresAt } = await this.codes.issue(current.session, AppContext.Telegram);
    return { code, expiresAt: expiresAt.toISOString() };
  }

  @Get()
  @ApiOperation({ summary: 'Whether a Telegram account is linked to this user' })
  async status(@CurrentSession() current: AuthenticatedSession) {
    const [link] = await this.sessions.list(current.user.id, AppContext.Telegram);
    if (link === undefined) return { linked: false };
    const telegramUserId = link.data.telegramUserId;
    return {
      linked: true,
      telegramUserId: typeof telegramUserId === 'string' ? telegramUserId : null,
      linkedAt: link.createdAt.toISOString(),
    };
  }

  @Delete()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Unlink the Telegram account: its sessions end at once' })
  async unlink(@CurrentSession() current: AuthenticatedSession, @Client() client: ClientInfo) {
    const userId = current.user.id;
    await this.sessions.revokeUserSessions(
      userId,
      { context: AppContext.Telegram },
      (manager, revoked) =>
        revoked.length === 0
          ? Promise.resolve()
          : this.events.record(
              { type: 'telegram.unlinked', context: AppContext.Web, userId, client },
              manager,
            ),
    );
  }
}
