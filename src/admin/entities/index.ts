import { AdminSetting } from './admin-setting.entity.js';
import { AuditLog } from './audit-log.entity.js';
import { Configuration } from './configuration.entity.js';
import { ReportChunk } from './report-chunk.entity.js';
import { Report, ReportStatus } from './report.entity.js';
import { SystemMetric } from './system-metric.entity.js';

export { AdminSetting, AuditLog, Configuration, Report, ReportChunk, ReportStatus, SystemMetric };

export const ADMIN_ENTITIES = [
  AdminSetting,
  AuditLog,
  Report,
  ReportChunk,
  SystemMetric,
  Configuration,
];
