import {
  type ClientInfo,
  type FoundCode,
  LinkCodesService,
  SecurityEventsService,
  SessionService,
} from '@exchanger/identity';
import { BadRequestException, Injectable } from '@nestjs/common';
import { AppContext } from '../../common/app-context.js';
import { ConversationStore, type ConversationTurn } from './conversation-store.js';

/** Sessions the bot opens are not tied to an address: Telegram's servers speak for the user. */
const BOT_CLIENT: ClientInfo = { ipAddress: null, userAgent: 'telegram-bot' };

/**
 * Linking a Telegram account to an identity user and unlinking it. `/start CODE` only looks
 * the code up (whose account, masked); the link is made when the same Telegram user
 * confirms. A link is a telegram session of the user, opened with the one-time code the
 * web app issued; the conversation keeps its id. One Telegram account per user and the
 * reverse: a new link revokes the user's other telegram sessions and the account's
 * previous one.
 */
@Injectable()
export class AccountLinks {
  constructor(
    private readonly codes: LinkCodesService,
    private readonly sessions: SessionService,
    private readonly events: SecurityEventsService,
    private readonly conversations: ConversationStore,
  ) {}

  /** Whose account a code would link (masked), and its reference; undefined when not good. */
  find(code: string): Promise<FoundCode | undefined> {
    return this.codes.find(code, AppContext.Telegram);
  }

  /**
   * Redeems the code `reference` stands for (see find) for the speaker's Telegram account;
   * false when the code is no longer good (used, expired, voided since).
   */
  async link(turn: ConversationTurn, reference: string): Promise<boolean> {
    const telegramUserId = turn.conversation.telegramUserId;
    let redeemed;
    try {
      redeemed = await this.codes.redeem(reference, AppContext.Telegram, BOT_CLIENT, {
        telegramUserId,
      });
    } catch (error) {
      if (error instanceof BadRequestException) return false;
      throw error;
    }
    const { userId, created } = redeemed;
    const sessionId = created.session.id;
    await this.sessions.revokeUserSessions(userId, {
      context: AppContext.Telegram,
      exceptSessionId: sessionId,
    });
    const previous = turn.conversation.sessionId;
    if (previous !== null && previous !== sessionId) {
      await this.sessions.revoke(AppContext.Telegram, previous);
    }
    const released = await this.conversations.releaseUser(turn.manager, userId, telegramUserId);
    turn.afterCommit.push(() => this.conversations.forget(...released));
    turn.conversation = await this.conversations.update(turn.manager, turn.conversation, {
      link: { userId, sessionId },
      state: 'idle',
      context: {},
    });
    await this.events.record({
      type: 'telegram.linked',
      context: AppContext.Telegram,
      userId,
      client: BOT_CLIENT,
      details: { telegramUserId },
    });
    return true;
  }

  /** `/unlink`: ends the telegram session; the account speaks for nobody any more. */
  async unlink(turn: ConversationTurn, userId: string, sessionId: string): Promise<void> {
    await this.sessions.revoke(AppContext.Telegram, sessionId, userId, (manager) =>
      this.events.record(
        {
          type: 'telegram.unlinked',
          context: AppContext.Telegram,
          userId,
          client: BOT_CLIENT,
          details: { telegramUserId: turn.conversation.telegramUserId },
        },
        manager,
      ),
    );
    turn.conversation = await this.conversations.update(turn.manager, turn.conversation, {
      link: null,
      state: 'idle',
      context: {},
    });
  }
}
