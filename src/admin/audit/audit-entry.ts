import type { ClientInfo } from '@exchanger/identity';

/** The outbox topic of audit messages, in every database whose changes staff make. */
export const AUDIT_TOPIC = 'admin.audit';

/** One audit row to be: who did what to which resource, the values before and after. */
export interface AuditEntry {
  readonly actorId: string | null;
  readonly action: string;
  readonly resourceType: string;
  readonly resourceId: string | null;
  /** Never a secret (no password, token or hash). */
  readonly oldValues: Record<string, unknown> | null;
  readonly newValues: Record<string, unknown> | null;
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
  /** The server's id of the request. */
  readonly requestId: string | null;
  /** The request id the client sent, if any. */
  readonly clientRequestId?: string | null;
  /** When the action happened, ISO 8601. */
  readonly at: string;
  /** The applications of the process that wrote the entry (stamped by AuditTrail). */
  readonly originProcess?: string;
}

/** The staff member acting, and from where. */
export interface Actor {
  readonly id: string;
  readonly client: ClientInfo;
}

export interface AuditedAction {
  readonly action: string;
  readonly resourceType: string;
  readonly resourceId: string | null;
  readonly oldValues?: Record<string, unknown> | null;
  readonly newValues?: Record<string, unknown> | null;
}

export function auditEntry(actor: Actor, what: AuditedAction, at = new Date()): AuditEntry {
  return {
    actorId: actor.id,
    action: what.action,
    resourceType: what.resourceType,
    resourceId: what.resourceId,
    oldValues: what.oldValues ?? null,
    newValues: what.newValues ?? null,
    ipAddress: actor.client.ipAddress,
    userAgent: actor.client.userAgent,
    requestId: actor.client.requestId ?? null,
    clientRequestId: actor.client.clientRequestId ?? null,
    at: at.toISOString(),
  };
}
