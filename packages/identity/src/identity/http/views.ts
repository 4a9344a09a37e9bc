import type { Principal, SessionState, SessionSummary } from '../../session/index.js';
import type { User } from '../entities/index.js';

/** A user as the API shows them: never the password hash. */
export interface UserView {
  id: string;
  email: string;
  role: string;
  emailVerified: boolean;
}

export function userView(user: User | Principal): UserView {
  return { id: user.id, email: user.email, role: user.role, emailVerified: user.emailVerified };
}

export function sessionView(session: SessionState) {
  return {
    id: session.id,
    createdAt: new Date(session.createdAt).toISOString(),
    expiresAt: new Date(session.expiresAt).toISOString(),
  };
}

export function sessionSummaryView(summary: SessionSummary, currentId: string) {
  return {
    id: summary.id,
    createdAt: summary.createdAt.toISOString(),
    lastActivity: summary.lastActivity.toISOString(),
    expiresAt: summary.expiresAt.toISOString(),
    ipAddress: summary.ipAddress,
    userAgent: summary.userAgent,
    current: summary.id === currentId,
  };
}
