import { Inject, Injectable, Logger } from '@nestjs/common';
import type { DataSource, EntityManager, Repository } from 'typeorm';
import type { ClientInfo } from '../session/index.js';
import { SecurityEvent } from './entities/index.js';
import { IDENTITY_DATA_SOURCE } from './identity.options.js';

/**
 * What identity itself records; applications may record their own types (e.g. an account
 * linked by the bot).
 */
export type IdentityEventType =
  | 'login.succeeded'
  | 'login.failed'
  | 'login.locked'
  | 'logout'
  | 'session.revoked'
  | 'sessions.revoked'
  | 'password.changed'
  | 'password.failed'
  | 'user.registered'
  | 'user.deleted'
  | 'role.changed'
  | 'permission.granted'
  | 'permission.revoked'
  | 'link.redeemed';

export interface SecurityEventInput {
  readonly type: IdentityEventType | (string & {});
  readonly context: string | null;
  readonly userId: string | null;
  readonly client: ClientInfo;
  readonly details?: Record<string, string | number | boolean | null>;
}

/** The append-only security trail (`security_events`; the database refuses changes). */
@Injectable()
export class SecurityEventsService {
  private readonly logger = new Logger('SecurityEvents');
  private readonly events: Repository<SecurityEvent>;
  private readonly listeners: Array<(event: SecurityEventInput) => Promise<void>> = [];

  constructor(@Inject(IDENTITY_DATA_SOURCE) dataSource: DataSource) {
    this.events = dataSource.getRepository(SecurityEvent);
  }

  /** Records an event; with `manager`, inside that transaction (so it exists exactly when the change does). */
  async record(event: SecurityEventInput, manager?: EntityManager): Promise<void> {
    await (manager?.getRepository(SecurityEvent) ?? this.events).insert(
      this.events.create({
        eventType: event.type,
        applicationContext: event.context,
        userId: event.userId,
        ipAddress: event.client.ipAddress,
        userAgent: event.client.userAgent,
        details: event.details ?? {},
      }),
    );
    this.logger.log({ event: event.type, app: event.context, userId: event.userId });
    for (const listener of this.listeners) {
      await listener(event).catch((error: unknown) => {
        this.logger.warn(`a listener of ${event.type} failed: ${String(error)}`);
      });
    }
  }

  /** Lets an application follow identity events (the web analytics count logins). */
  onRecorded(listener: (event: SecurityEventInput) => Promise<void>): void {
    this.listeners.push(listener);
  }

  /** The user's latest events, newest first. */
  latestOf(userId: string, limit: number): Promise<SecurityEvent[]> {
    return this.events.find({ where: { userId }, order: { occurredAt: 'DESC' }, take: limit });
  }
}
