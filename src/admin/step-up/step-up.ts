import { type AuthenticatedSession, AuthService } from '@exchanger/identity';
import { ForbiddenException, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AppContext } from '../../common/app-context.js';
import type { AppConfig } from '../../config/app-config.js';
import { AdminSettings } from '../settings/admin-settings.js';

/**
 * Dangerous actions need a recent password entry: the login that opened the session, or a
 * confirmation in it (POST /admin/auth/confirm), at most `stepUp.windowSeconds` ago — and
 * never longer than half an admin session's idle lifetime, so the window always closes well
 * before an idle session would.
 * Confirmations count only for the session they were made in.
 */
@Injectable()
export class StepUp {
  private readonly longestMs: number;

  constructor(
    private readonly auth: AuthService,
    private readonly settings: AdminSettings,
    config: ConfigService<AppConfig, true>,
  ) {
    this.longestMs = config.get('sessions', { infer: true }).lifetimes[AppContext.Admin].idleMs / 2;
  }

  /** How long a password entry counts for, in milliseconds. */
  windowMs(): number {
    return Math.min(this.settings.get('stepUp.windowSeconds') * 1_000, this.longestMs);
  }

  /** 403 `{code: "step_up_required"}` unless the session's password entry is recent. */
  async require(current: AuthenticatedSession): Promise<void> {
    const since = Date.now() - this.windowMs();
    // The login itself is recent enough: no lookup.
    if (current.session.createdAt >= since) return;
    if ((await this.auth.lastPasswordEntry(current.session)) >= since) return;
    throw new ForbiddenException({
      message: 'Enter your password again (POST /admin/auth/confirm) to do this',
      code: 'step_up_required',
    });
  }
}
