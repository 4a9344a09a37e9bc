import { AppContext } from './app-context.js';

/** This product's permissions. A permission only counts in the context it was granted for. */
export const Permission = {
  OrdersRead: 'orders:read',
  OrdersWrite: 'orders:write',
  AnalyticsRead: 'analytics:read',
  UsersManage: 'users:manage',
  /** Making staff: the admin role, and granting or revoking users:manage and admins:manage. */
  AdminsManage: 'admins:manage',
  RatesManage: 'rates:manage',
  /** Reading the staff audit trail. */
  AuditRead: 'audit:read',
  /** Admin settings and versioned configurations (alert rules, rate bounds). */
  SettingsManage: 'settings:manage',
  /** The admin panel's metric series and alerts. */
  MetricsRead: 'metrics:read',
  /** Requesting, reading and downloading reports. */
  ReportsManage: 'reports:manage',
} as const;
export type Permission = (typeof Permission)[keyof typeof Permission];

export const KNOWN_PERMISSIONS: readonly string[] = Object.values(Permission);

/** Granted on registration; admin permissions are only ever granted explicitly. */
export const DEFAULT_PERMISSIONS: Readonly<Record<AppContext, readonly Permission[]>> = {
  [AppContext.Web]: [Permission.OrdersRead, Permission.OrdersWrite],
  [AppContext.Admin]: [],
  [AppContext.Telegram]: [Permission.OrdersRead, Permission.OrdersWrite],
};

/** What the first admin account receives: every admin permission. */
export const FIRST_ADMIN_PERMISSIONS: readonly Permission[] = [
  Permission.UsersManage,
  Permission.AdminsManage,
  Permission.RatesManage,
  Permission.AnalyticsRead,
  Permission.AuditRead,
  Permission.SettingsManage,
  Permission.MetricsRead,
  Permission.ReportsManage,
];
