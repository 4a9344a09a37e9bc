import { ForbiddenException, Injectable } from '@nestjs/common';
import { AuthService, type AuthenticatedSession } from '../../identity/index.js';
import { AdminSettings } from '../settings/admin-settings.js';

/**
 * Dangerous actions need a recent password entry: the login that opened the session, or a
 * confirmation in it (POST /admin/auth/confirm), at most `stepUp.windowSeconds` ago.
 * Confirmations count only for the session they were made in.
 */
@Injectable()
export class StepUp {
  constructor(
    private readonly auth: AuthService,
    private readonly settings: AdminSettings,
  ) {}

  /** 403 `{code: "step_up_required"}` unless the session's password entry is recent. */
  async require(current: AuthenticatedSession): Promise<void> {
    const windowMs = this.settings.get('stepUp.windowSeconds') * 1_000;
    const since = Date.now() - windowMs;
    // The login itself is recent enough: no lookup.
    if (current.session.createdAt >= since) return;
    if ((await this.auth.lastPasswordEntry(current.session)) >= since) return;
    throw new ForbiddenException({
      message: 'Enter your password again (POST /admin/auth/confirm) to do this',
      code: 'step_up_required',
    });
  }
}
