import { ProfilesService, SessionService } from '@exchanger/identity';
import { Injectable } from '@nestjs/common';
import { AppContext } from '../../common/app-context.js';
import type { ConversationState } from './conversation-store.js';

/** The identity user behind a Telegram account, as their telegram session says now. */
export interface Speaker {
  readonly userId: string;
  readonly sessionId: string;
  readonly permissions: readonly string[];
  /** The language of the user's profile, when they chose one. */
  readonly language: string | null;
}

/**
 * Who is speaking: the user whose telegram session the conversation holds, if that session
 * is still valid. Checked on every update through the session store (its cache, then
 * PostgreSQL), so a revocation of any kind (/unlink, DELETE /web/auth/telegram, a password
 * change, an admin) makes the very next update an unlinked one.
 */
@Injectable()
export class Speakers {
  constructor(
    private readonly sessions: SessionService,
    private readonly profiles: ProfilesService,
  ) {}

  async of(conversation: ConversationState): Promise<Speaker | undefined> {
    if (conversation.sessionId === null || conversation.userId === null) return undefined;
    const valid = await this.sessions.validateId(AppContext.Telegram, conversation.sessionId);
    if (valid === undefined || valid.user.id !== conversation.userId) return undefined;
    const languages = await this.profiles.languagesOf([valid.user.id]);
    return {
      userId: valid.user.id,
      sessionId: valid.session.id,
      permissions: valid.user.permissions,
      language: languages.get(valid.user.id) ?? null,
    };
  }
}
