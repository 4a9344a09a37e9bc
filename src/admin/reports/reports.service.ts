import { lockUntilCommit, SessionService, UsersService } from '@exchanger/identity';
import {
  BadRequestException,
  ConflictException,
  GoneException,
  HttpException,
  HttpStatus,
  Injectable,
  Logger,
  NotFoundException,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DataSource } from 'typeorm';
import { AppContext, CONTEXTS } from '../../common/app-context.js';
import { InjectTtlCache, type TtlCache } from '../../redis/index.js';
import { WebRecords } from '../../web/index.js';
import { type Actor, auditEntry } from '../audit/audit-entry.js';
import { AuditTrail } from '../audit/audit-trail.js';
import { Report, ReportStatus } from '../entities/index.js';
import { AdminSettings } from '../settings/admin-settings.js';
import { ChunkSink } from './chunk-sink.js';
import { csvOf } from './csv.js';
import { JobQueue } from './job-queue.js';
import { REPORT_COLUMNS, type ReportType, type RowSource } from './report-types.js';
import { InjectAdminDataSource } from '../../database/data-sources/admin.js';

const QUEUE = 'reports';
const RETENTION_QUEUE = 'reports-retention';
/** A report is cached an hour (`cache:admin:reports:{id}`): only once it is final. */
const REPORT_CACHE_MS = 3_600_000;
/** A worker that stops sending heartbeats this long (it crashed) loses the job to another. */
const HEARTBEAT_SECONDS = 30;
const RETRIES = 2;

interface ReportJob {
  readonly reportId: string;
}

export interface ReportView {
  id: string;
  type: string;
  name: string;
  parameters: Record<string, unknown> | null;
  status: ReportStatus;
  requestedBy: string;
  requestedAt: string;
  generatedAt: string | null;
  rowCount: number | null;
  sizeBytes: number | null;
  checksum: string | null;
  attempts: number;
  error: string | null;
}

function view(report: Report): ReportView {
  return {
    id: report.id,
    type: report.type,
    name: report.name,
    parameters: report.parameters,
    status: report.status,
    requestedBy: report.generatedBy,
    requestedAt: report.createdAt.toISOString(),
    generatedAt: report.generatedAt?.toISOString() ?? null,
    rowCount: report.rowCount === null ? null : Number(report.rowCount),
    sizeBytes: report.sizeBytes === null ? null : Number(report.sizeBytes),
    checksum: report.checksum,
    attempts: report.attempts,
    error: report.error,
  };
}

const FINAL: ReadonlySet<ReportStatus> = new Set([
  ReportStatus.Ready,
  ReportStatus.Failed,
  ReportStatus.Purged,
]);
const DAY_MS = 86_400_000;

/**
 * Reports: requested (a row and a durable job, committed together), generated in the
 * background by whichever admin process takes the job (rows streamed from the owning
 * service into CSV chunks in the admin database, with bounded memory), downloaded as a
 * stream. A crash mid-report is retried by another process once its heartbeats stop, and
 * fails visibly (status failed, with the error) when out of retries.
 */
@Injectable()
export class ReportsService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Reports');
  private readonly sources: Readonly<Record<ReportType, RowSource>>;

  constructor(
    @InjectAdminDataSource() private readonly admin: DataSource,
    @InjectTtlCache(CONTEXTS[AppContext.Admin].cacheNamespace) private readonly cache: TtlCache,
    private readonly queue: JobQueue,
    private readonly audit: AuditTrail,
    private readonly settings: AdminSettings,
    web: WebRecords,
    users: UsersService,
    sessions: SessionService,
  ) {
    this.sources = {
      orders: (from, to) => web.orders(from, to),
      ledger: (from, to) => web.ledger(from, to),
      users: (from, to) => users.streamCreatedBetween(from, to),
      sessions: (from, to) => sessions.streamCreatedBetween(from, to),
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    const { boss } = this.queue;
    await boss.createQueue(QUEUE, {
      retryLimit: RETRIES,
      retryDelay: 5,
      expireInSeconds: 3_600,
      heartbeatSeconds: HEARTBEAT_SECONDS,
    });
    await boss.createQueue(RETENTION_QUEUE);
    await boss.schedule(RETENTION_QUEUE, '17 * * * *');
    await this.queue.work<ReportJob>(QUEUE, async ([job]) => {
      if (job !== undefined) await this.generate(job.data.reportId, job.retryCount);
    });
    await this.queue.work(RETENTION_QUEUE, () => this.purgeExpired());
  }

  /**
   * A report row and its job, committed together. The period is bounded, and so is how many
   * reports one staff member has queued or running (checked under a lock of their own, so
   * parallel requests cannot pass it together).
   */
  async request(type: ReportType, from: Date, to: Date, actor: Actor): Promise<ReportView> {
    if (from >= to) throw new BadRequestException('from must be earlier than to');
    const maxDays = this.settings.get('reports.maxRangeDays');
    if (to.getTime() - from.getTime() > maxDays * DAY_MS) {
      throw new BadRequestException(
        `A report may cover at most ${maxDays} days (reports.maxRangeDays)`,
      );
    }
    const report = await this.admin.transaction(async (manager) => {
      await lockUntilCommit(manager, `exchanger:reports:${actor.id}`);
      const maxRunning = this.settings.get('reports.maxRunningPerStaff');
      const counted: Array<{ running: number }> = await manager.query(
        `SELECT count(*)::int AS running FROM reports WHERE generated_by = $1 AND status IN ($2, $3)`,
        [actor.id, ReportStatus.Queued, ReportStatus.Running],
      );
      const running = counted[0]?.running ?? 0;
      if (running >= maxRunning) {
        throw new HttpException(
          `You have ${running} reports queued or running, the most allowed (reports.maxRunningPerStaff); wait for one to finish`,
          HttpStatus.TOO_MANY_REQUESTS,
        );
      }
      const created = await manager.save(
        manager.create(Report, {
          name: `${type} ${from.toISOString()} – ${to.toISOString()}`,
          type,
          parameters: { from: from.toISOString(), to: to.toISOString() },
          generatedBy: actor.id,
          filePath: `${type}-${from.toISOString().slice(0, 10)}-${to.toISOString().slice(0, 10)}.csv`,
        }),
      );
      await this.queue.send(manager, QUEUE, { reportId: created.id } satisfies ReportJob);
      await this.audit.inAdmin(
        manager,
        auditEntry(actor, {
          action: 'report.requested',
          resourceType: 'report',
          resourceId: created.id,
          newValues: { type, from: from.toISOString(), to: to.toISOString() },
        }),
      );
      return created;
    });
    return view(await this.load(report.id));
  }

  /** The report's state; a final one (ready, failed) is read through the cache. */
  async get(id: string): Promise<ReportView> {
    const cached = await this.cache.get<ReportView>(`reports:${id}`);
    if (cached !== undefined) return cached;
    const report = view(await this.load(id));
    if (FINAL.has(report.status)) await this.cache.set(`reports:${id}`, report, REPORT_CACHE_MS);
    return report;
  }

  /**
   * A report whose content can be downloaded: 409 until it is ready, 410 once its content
   * was purged. Read from the database, not the cache: a purge must show at once.
   */
  async downloadable(id: string): Promise<ReportView> {
    const report = view(await this.load(id));
    if (report.status === ReportStatus.Purged) {
      throw new GoneException(
        'The content of this report was deleted (reports.contentRetentionHours); request it again',
      );
    }
    if (report.status !== ReportStatus.Ready) {
      throw new ConflictException(`The report is ${report.status}, not ready`);
    }
    return report;
  }

  /** The CSV, streamed chunk by chunk from the database; every download leaves its audit row. */
  async download(report: ReportView, actor: Actor): Promise<Readable> {
    await this.admin.transaction((manager) =>
      this.audit.inAdmin(
        manager,
        auditEntry(actor, {
          action: 'report.downloaded',
          resourceType: 'report',
          resourceId: report.id,
          newValues: { type: report.type, rows: report.rowCount, checksum: report.checksum },
        }),
      ),
    );
    const { id } = report;
    const admin = this.admin;
    async function* chunks() {
      for (let seq = 0; ; seq++) {
        const rows: Array<{ data: Buffer }> = await admin.query(
          'SELECT data FROM report_chunks WHERE report_id = $1 AND seq = $2',
          [id, seq],
        );
        if (rows[0] === undefined) return;
        yield rows[0].data;
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  /** Generates one report (a job's work): every attempt starts again from nothing. */
  async generate(id: string, retryCount = 0): Promise<void> {
    const report = await this.load(id);
    if (FINAL.has(report.status)) return;
    await this.admin.query(
      `UPDATE reports SET status = $2, attempts = attempts + 1, error = NULL WHERE id = $1`,
      [id, ReportStatus.Running],
    );
    try {
      const params = report.parameters as { from: string; to: string };
      const type = report.type as ReportType;
      const written = await this.admin.transaction(async (manager) => {
        await manager.query('DELETE FROM report_chunks WHERE report_id = $1', [id]);
        const sink = new ChunkSink(manager, id);
        const csv = csvOf(REPORT_COLUMNS[type]);
        let rows = 0;
        csv.on('record', () => rows++);
        await pipeline(this.sources[type](new Date(params.from), new Date(params.to)), csv, sink);
        await manager.query(
          `UPDATE reports SET status = $2, row_count = $3, size_bytes = $4, checksum = $5,
             generated_at = now() WHERE id = $1`,
          [id, ReportStatus.Ready, rows, sink.size, sink.checksum],
        );
        return rows;
      });
      this.logger.log(`report ${id} ready: ${written} rows`);
    } catch (error) {
      const finalAttempt = retryCount >= RETRIES;
      await this.admin.query(`UPDATE reports SET status = $2, error = $3 WHERE id = $1`, [
        id,
        finalAttempt ? ReportStatus.Failed : ReportStatus.Queued,
        String(error).slice(0, 1_000),
      ]);
      if (finalAttempt)
        await this.admin.query(`UPDATE reports SET generated_at = now() WHERE id = $1`, [id]);
      throw error;
    }
  }

  /**
   * The hourly clean-up: the content of reports older than `reports.contentRetentionHours`
   * (rows of personal data) is deleted and the report marked purged; reports older than
   * `reports.retentionDays` are deleted whole.
   */
  async purgeExpired(): Promise<void> {
    const purged = await this.admin.transaction(async (manager) => {
      const [rows]: [Array<{ id: string }>, number] = await manager.query(
        `UPDATE reports SET status = $1
         WHERE status = $2 AND created_at < now() - make_interval(hours => $3) RETURNING id`,
        [
          ReportStatus.Purged,
          ReportStatus.Ready,
          this.settings.get('reports.contentRetentionHours'),
        ],
      );
      const ids = rows.map((row) => row.id);
      await manager.query('DELETE FROM report_chunks WHERE report_id = ANY($1)', [ids]);
      return ids;
    });
    if (purged.length > 0) await this.cache.delete(...purged.map((id) => `reports:${id}`));
    await this.admin.query(
      `DELETE FROM reports WHERE created_at < now() - make_interval(days => $1)`,
      [this.settings.get('reports.retentionDays')],
    );
  }

  private async load(id: string): Promise<Report> {
    const report = await this.admin.getRepository(Report).findOneBy({ id });
    if (report === null) throw new NotFoundException('No such report');
    return report;
  }
}
