import type { RecordedSecurityEvent, SecurityEventInput } from '@exchanger/identity';
import { AppContext } from '../../common/app-context.js';
import type { AuditEntry } from './audit-entry.js';

/**
 * Staff authentication recorded by identity (security events of the admin context) that the
 * audit trail takes: logins, failed logins, logouts, session revocations, password changes
 * and step-up confirmations. A lock-out is not an action (it follows a failed login, which
 * is audited).
 */
const AUDITED = new Set([
  'login.succeeded',
  'login.failed',
  'logout',
  'session.revoked',
  'sessions.revoked',
  'password.changed',
  'password.failed',
  'password.confirmed',
]);

export function isAuditedStaffEvent(event: SecurityEventInput): boolean {
  return event.context === AppContext.Admin && AUDITED.has(event.type);
}

export function auditEntryOfEvent(event: RecordedSecurityEvent): AuditEntry {
  return {
    actorId: event.userId,
    action: `auth.${event.type}`,
    resourceType: 'staff_auth',
    resourceId: event.userId,
    oldValues: null,
    newValues: { eventId: event.id, ...event.details },
    ipAddress: event.client.ipAddress,
    userAgent: event.client.userAgent,
    requestId: event.client.requestId ?? null,
    clientRequestId: event.client.clientRequestId ?? null,
    at: event.occurredAt.toISOString(),
  };
}
