/**
 * A user as one context sees them: their role and the permissions granted in that context.
 * Contexts are the host application's names (this product: web, admin, telegram).
 */
export interface Principal {
  readonly id: string;
  readonly email: string;
  readonly role: string;
  readonly emailVerified: boolean;
  readonly permissions: readonly string[];
  /**
   * When the nearest of these permissions that was granted for a time ends (epoch ms): a
   * cached copy of the principal is not believed past it.
   */
  readonly validUntil?: number;
}

/** What a valid session is known to be; times in epoch milliseconds. */
export interface SessionState {
  readonly id: string;
  readonly context: string;
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

/** A session as listed to its owner (or to staff). */
export interface SessionSummary {
  readonly id: string;
  readonly context: string;
  readonly createdAt: Date;
  readonly lastActivity: Date;
  readonly expiresAt: Date;
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
  /** What the application attached to the session when it was created (e.g. a Telegram account). */
  readonly data: Readonly<Record<string, unknown>>;
}

export interface ClientInfo {
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
  /** The server's id of the request, when there is one: trails that record the client can name it. */
  readonly requestId?: string;
  /** The request id the client sent, if any (a claim: the client chose it). */
  readonly clientRequestId?: string;
}

/** How long a session lives: `idleMs` after its last extension, never past `absoluteMs` after login. */
export interface SessionLifetime {
  readonly idleMs: number;
  readonly absoluteMs: number;
}
