import type { SecurityEvent, SessionSummary, User } from '@exchanger/identity';

/** A user as staff see them: never the password hash. */
export function staffUserView(user: User) {
  return {
    id: user.id,
    email: user.email,
    role: user.role,
    emailVerified: user.emailVerified,
    disabled: user.disabledAt !== null,
    disabledAt: user.disabledAt?.toISOString() ?? null,
    createdAt: user.createdAt.toISOString(),
    lastLoginAt: user.lastLoginAt?.toISOString() ?? null,
  };
}

export function staffSessionView(session: SessionSummary) {
  return {
    id: session.id,
    createdAt: session.createdAt.toISOString(),
    lastActivity: session.lastActivity.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    ipAddress: session.ipAddress,
    userAgent: session.userAgent,
  };
}

export function securityEventView(event: SecurityEvent) {
  return {
    id: event.id,
    type: event.eventType,
    context: event.applicationContext,
    at: event.occurredAt.toISOString(),
    ipAddress: event.ipAddress,
    userAgent: event.userAgent,
    details: event.details,
  };
}
