import type { AppContext } from '../common/app-context.js';

/** A user as one context sees them: their permissions are those of that context. */
export interface Principal {
  readonly id: string;
  readonly email: string;
  readonly role: string;
  readonly emailVerified: boolean;
  readonly permissions: readonly string[];
}

/** What a valid session is known to be; times in epoch milliseconds. */
export interface SessionState {
  readonly id: string;
  readonly context: AppContext;
  readonly userId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface ValidatedSession {
  readonly session: SessionState;
  readonly user: Principal;
  /** Set when this request slid the expiry: the cookie is sent again with this lifetime. */
  readonly extendedMaxAgeSeconds?: number;
}

/** A session as listed to its owner. */
export interface SessionSummary {
  readonly id: string;
  readonly createdAt: Date;
  readonly lastActivity: Date;
  readonly expiresAt: Date;
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
}

export interface ClientInfo {
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
}
