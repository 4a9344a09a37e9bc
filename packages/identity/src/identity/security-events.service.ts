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
  /** A failure that set or lengthened the slowdown of an account across addresses. */
  | 'login.slowed'
  | 'logout'
  | 'session.revoked'
  | 'sessions.revoked'
  | 'password.changed'
  | 'password.failed'
  | 'password.confirmed'
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

/** An event as recorded: its id (increasing) and time. */
export interface RecordedSecurityEvent extends SecurityEventInput {
  readonly id: string;
  readonly occurredAt: Date;
}

interface AlongWithEvent {
  readonly wants: (event: SecurityEventInput) => boolean;
  readonly work: (manager: EntityManager, event: RecordedSecurityEvent) => Promise<void>;
}

/** The append-only security trail (`security_events`; the database refuses changes). */
@Injectable()
export class SecurityEventsService {
  private readonly logger = new Logger('SecurityEvents');
  private readonly events: Repository<SecurityEvent>;
  private readonly listeners: Array<(event: SecurityEventInput) => Promise<void>> = [];
  private readonly alongWith: AlongWithEvent[] = [];

  constructor(@Inject(IDENTITY_DATA_SOURCE) private readonly dataSource: DataSource) {
    this.events = dataSource.getRepository(SecurityEvent);
  }

  /**
   * Records an event; with `manager`, inside that transaction (so it exists exactly when the
   * change does). Work registered with `recordAlongWith` for it runs in the same transaction.
   */
  async record(event: SecurityEventInput, manager?: EntityManager): Promise<void> {
    const along = this.alongWith.filter((entry) => entry.wants(event));
    if (along.length === 0) await this.insert(event, manager ?? this.dataSource.manager);
    else if (manager !== undefined) await this.insertAlongWith(event, manager, along);
    else await this.dataSource.transaction((inner) => this.insertAlongWith(event, inner, along));
    this.logger.log({ event: event.type, app: event.context, userId: event.userId });
    for (const listener of this.listeners) {
      await listener(event).catch((error: unknown) => {
        this.logger.warn(`a listener of ${event.type} failed: ${String(error)}`);
      });
    }
  }

  /**
   * Work to commit together with each event `wants` accepts (e.g. a message for another
   * database, through an outbox): both exist, or neither. An error in it fails the recording.
   */
  recordAlongWith(
    wants: (event: SecurityEventInput) => boolean,
    work: (manager: EntityManager, event: RecordedSecurityEvent) => Promise<void>,
  ): void {
    this.alongWith.push({ wants, work });
  }

  /** Lets an application follow identity events (the web analytics count logins). */
  onRecorded(listener: (event: SecurityEventInput) => Promise<void>): void {
    this.listeners.push(listener);
  }

  /** The user's latest events, newest first. */
  latestOf(userId: string, limit: number): Promise<SecurityEvent[]> {
    return this.events.find({ where: { userId }, order: { occurredAt: 'DESC' }, take: limit });
  }

  /** When the user's latest event of this type whose details hold `detail` happened, if any. */
  async latestTime(
    userId: string,
    type: string,
    detail: { readonly key: string; readonly value: string },
  ): Promise<Date | undefined> {
    const rows: Array<{ occurred_at: Date }> = await this.dataSource.query(
      `SELECT occurred_at FROM security_events
       WHERE user_id = $1 AND event_type = $2 AND details ->> $3 = $4
       ORDER BY occurred_at DESC LIMIT 1`,
      [userId, type, detail.key, detail.value],
    );
    return rows[0]?.occurred_at;
  }

  /** How many events of each type and context happened since `since`. */
  async countsSince(
    since: Date,
  ): Promise<Array<{ type: string; context: string | null; count: number }>> {
    const rows: Array<{ event_type: string; application_context: string | null; count: number }> =
      await this.dataSource.query(
        `SELECT event_type, application_context, count(*)::int AS count FROM security_events
         WHERE occurred_at >= $1 GROUP BY 1, 2`,
        [since],
      );
    return rows.map((row) => ({
      type: row.event_type,
      context: row.application_context,
      count: row.count,
    }));
  }

  private async insert(event: SecurityEventInput, manager: EntityManager) {
    const result = await manager.getRepository(SecurityEvent).insert(
      this.events.create({
        eventType: event.type,
        applicationContext: event.context,
        userId: event.userId,
        ipAddress: event.client.ipAddress,
        userAgent: event.client.userAgent,
        details: event.details ?? {},
      }),
    );
    return result.generatedMaps[0] as { id: string; occurredAt: Date };
  }

  private async insertAlongWith(
    event: SecurityEventInput,
    manager: EntityManager,
    along: readonly AlongWithEvent[],
  ): Promise<void> {
    const { id, occurredAt } = await this.insert(event, manager);
    for (const entry of along) await entry.work(manager, { ...event, id, occurredAt });
  }
}
