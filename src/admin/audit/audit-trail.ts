import { SecurityEventsService } from '@exchanger/identity';
import {
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { Database } from '../../common/app-context.js';
import type { AppConfig } from '../../config/app-config.js';
import { IdentityOutbox } from '../../database/identity-outbox.js';
import { type OutboxMessage, OutboxRelay } from '../../database/outbox.js';
import { WebOutbox } from '../../web/index.js';
import { AuditLog } from '../entities/index.js';
import { AUDIT_TOPIC, type AuditEntry } from './audit-entry.js';
import { auditEntryOfEvent, isAuditedStaffEvent } from './staff-auth-events.js';
import { InjectAdminDataSource } from '../../database/data-sources/admin.js';

/** How often each relay looks for audit messages it was not nudged about. */
const RELAY_INTERVAL_MS = 1_000;

/**
 * The audit trail, exactly once per action. A change and its audit message commit
 * together in the database of the change: in the admin database the row itself; in the
 * identity and web databases a message in that database's outbox, which a relay here
 * delivers into `audit_logs` (at least once: if the admin database is away, the message
 * waits in the outbox) and the unique (source, message_id) key takes once.
 *
 * A message's actor, time, request id and origin are what its writer said: any process
 * holding that database's credentials could write one. What the row knows for itself is the
 * database it came from (`source`, by the relay that read it) and when it arrived
 * (`received_at`, the admin database's clock). docs/admin.md says what that proves.
 */
@Injectable()
export class AuditTrail implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly relays: ReadonlyArray<OutboxRelay<AuditEntry>>;
  /** The applications this process runs, written into every entry it makes. */
  private readonly originProcess: string;

  constructor(
    @InjectAdminDataSource() private readonly admin: DataSource,
    private readonly identityOutbox: IdentityOutbox,
    private readonly webOutbox: WebOutbox,
    private readonly events: SecurityEventsService,
    config: ConfigService<AppConfig, true>,
  ) {
    this.originProcess = config.get('contexts', { infer: true }).join(',');
    this.relays = [
      new OutboxRelay(
        this.identityOutbox,
        AUDIT_TOPIC,
        this.receiver(Database.Identity),
        RELAY_INTERVAL_MS,
      ),
      new OutboxRelay(this.webOutbox, AUDIT_TOPIC, this.receiver(Database.Web), RELAY_INTERVAL_MS),
    ];
  }

  onModuleInit(): void {
    // Staff logins, logouts and failed logins are recorded by identity: their audit message
    // commits with the security event.
    this.events.recordAlongWith(isAuditedStaffEvent, async (manager, event) => {
      await this.identityOutbox.add(manager, AUDIT_TOPIC, this.stamped(auditEntryOfEvent(event)));
      this.nudgeSoon();
    });
  }

  onApplicationBootstrap(): void {
    for (const relay of this.relays) relay.start();
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.relays.map((relay) => relay.stop()));
  }

  /** In the transaction of a change to the identity database. */
  async inIdentity(manager: EntityManager, entry: AuditEntry): Promise<void> {
    await this.identityOutbox.add(manager, AUDIT_TOPIC, this.stamped(entry));
    this.nudgeSoon();
  }

  /** In the transaction of a change to the web database. */
  async inWeb(manager: EntityManager, entry: AuditEntry): Promise<void> {
    await this.webOutbox.add(manager, AUDIT_TOPIC, this.stamped(entry));
    this.nudgeSoon();
  }

  /** In the transaction of a change to the admin database: the row itself. */
  async inAdmin(manager: EntityManager, entry: AuditEntry): Promise<void> {
    await manager.insert(AuditLog, rowOf(this.stamped(entry), Database.Admin, null));
  }

  private stamped(entry: AuditEntry): AuditEntry {
    return { ...entry, originProcess: this.originProcess };
  }

  /** Delivers what is due now; what cannot be delivered stays for the relays' next round. */
  async flush(): Promise<void> {
    await Promise.allSettled(this.relays.map((relay) => relay.flush()));
  }

  /** After the change's commit, which the caller is about to make: the relays look at once. */
  private nudgeSoon(): void {
    setTimeout(() => {
      for (const relay of this.relays) relay.nudge();
    }, 10).unref();
  }

  private receiver(source: Database) {
    return async (messages: ReadonlyArray<OutboxMessage<AuditEntry>>): Promise<void> => {
      await this.admin
        .createQueryBuilder()
        .insert()
        .into(AuditLog)
        .values(messages.map((message) => rowOf(message.payload, source, message.id)))
        .orIgnore()
        .execute();
    };
  }
}

function rowOf(
  entry: AuditEntry,
  source: Database,
  messageId: string | null,
): QueryDeepPartialEntity<AuditLog> {
  const row: Partial<AuditLog> = {
    adminId: entry.actorId,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId,
    oldValues: entry.oldValues,
    newValues: entry.newValues,
    ipAddress: entry.ipAddress,
    userAgent: entry.userAgent,
    requestId: entry.requestId,
    clientRequestId: entry.clientRequestId ?? null,
    originProcess: entry.originProcess ?? null,
    source,
    messageId,
    createdAt: new Date(entry.at),
  };
  // Plain JSON values: TypeORM's deep-partial type cannot see through `unknown`.
  return row as QueryDeepPartialEntity<AuditLog>;
}
