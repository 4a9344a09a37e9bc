import { lockUntilCommit } from '@exchanger/identity';
import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { type Actor, auditEntry } from '../audit/audit-entry.js';
import { AuditTrail } from '../audit/audit-trail.js';
import { Configuration } from '../entities/index.js';
import {
  CONFIGURATION_KINDS,
  type ConfigurationKind,
  type ConfigurationOf,
  isConfigurationKind,
} from './kinds.js';
import { InjectAdminDataSource } from '../../database/data-sources/admin.js';

export interface ConfigurationVersion {
  kind: string;
  version: number;
  value: unknown;
  active: boolean;
  createdBy: string | null;
  createdAt: string;
}

function view(row: Configuration): ConfigurationVersion {
  return {
    kind: row.name,
    version: row.version,
    value: row.value,
    active: row.active,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * Versioned configuration documents (`configurations`): saving makes a new version, checked
 * against its kind's schema; activating one deactivates the others of the kind, which stay
 * for rollback. Each change commits with its audit row.
 */
@Injectable()
export class Configurations {
  constructor(
    @InjectAdminDataSource() private readonly admin: DataSource,
    private readonly audit: AuditTrail,
  ) {}

  async list(kind: string): Promise<ConfigurationVersion[]> {
    this.known(kind);
    const rows = await this.admin
      .getRepository(Configuration)
      .find({ where: { name: kind }, order: { version: 'DESC' } });
    return rows.map(view);
  }

  /** The active document of the kind, if one is active. */
  async active<K extends ConfigurationKind>(kind: K): Promise<ConfigurationOf<K> | undefined> {
    const row = await this.admin
      .getRepository(Configuration)
      .findOne({ where: { name: kind, active: true } });
    if (row === null) return undefined;
    const parsed = CONFIGURATION_KINDS[kind].safeParse(row.value);
    return parsed.success ? (parsed.data as ConfigurationOf<K>) : undefined;
  }

  async create(kind: string, value: unknown, actor: Actor): Promise<ConfigurationVersion> {
    const schema = this.known(kind);
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where =
        issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`;
      throw new BadRequestException(`${kind}${where}: ${issue?.message ?? 'is invalid'}`);
    }
    const created = await this.admin.transaction(async (manager) => {
      await lockUntilCommit(manager, `exchanger:configuration:${kind}`);
      const rows: Array<{ next: number }> = await manager.query(
        'SELECT coalesce(max(version), 0) + 1 AS next FROM configurations WHERE name = $1',
        [kind],
      );
      const version = rows[0]?.next ?? 1;
      const row = await manager.save(
        manager.create(Configuration, {
          name: kind,
          version,
          value: parsed.data,
          active: false,
          createdBy: actor.id,
        }),
      );
      await this.audit.inAdmin(
        manager,
        auditEntry(actor, {
          action: 'configuration.created',
          resourceType: 'configuration',
          resourceId: `${kind}:${version}`,
          newValues: { value: parsed.data },
        }),
      );
      return row;
    });
    return view(created);
  }

  async activate(kind: string, version: number, actor: Actor): Promise<ConfigurationVersion> {
    this.known(kind);
    const activated = await this.admin.transaction(async (manager) => {
      await lockUntilCommit(manager, `exchanger:configuration:${kind}`);
      const target = await manager.findOne(Configuration, { where: { name: kind, version } });
      if (target === null) throw new NotFoundException(`No version ${version} of ${kind}`);
      const previous = await manager.findOne(Configuration, {
        where: { name: kind, active: true },
      });
      await manager.update(Configuration, { name: kind, active: true }, { active: false });
      await manager.update(Configuration, { id: target.id }, { active: true });
      await this.audit.inAdmin(
        manager,
        auditEntry(actor, {
          action: 'configuration.activated',
          resourceType: 'configuration',
          resourceId: `${kind}:${version}`,
          oldValues: { activeVersion: previous?.version ?? null },
          newValues: { activeVersion: version },
        }),
      );
      return { ...target, active: true };
    });
    return view(activated);
  }

  private known(kind: string) {
    if (!isConfigurationKind(kind)) {
      throw new NotFoundException(
        `No configuration kind ${kind}; kinds: ${Object.keys(CONFIGURATION_KINDS).join(', ')}`,
      );
    }
    return CONFIGURATION_KINDS[kind];
  }
}
