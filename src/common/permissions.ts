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

/**
 * The permissions some route of each context checks: a grant outside these would be dead
 * (held, and never asked for), so staff cannot make one.
 */
export const PERMISSIONS_OF: Readonly<Record<AppContext, readonly Permission[]>> = {
  [AppContext.Web]: [Permission.OrdersRead, Permission.OrdersWrite, Permission.AnalyticsRead],
  [AppContext.Admin]: [
    Permission.UsersManage,
    Permission.AdminsManage,
    Permission.RatesManage,
    Permission.AuditRead,
    Permission.SettingsManage,
    Permission.MetricsRead,
    Permission.ReportsManage,
  ],
  [AppContext.Telegram]: [Permission.OrdersRead, Permission.OrdersWrite],
};

/** What the first admin account receives: every admin permission, and the web analytics. */
export const FIRST_ADMIN_GRANTS: Readonly<Partial<Record<AppContext, readonly Permission[]>>> = {
  [AppContext.Admin]: PERMISSIONS_OF[AppContext.Admin],
  [AppContext.Web]: [Permission.AnalyticsRead],
};
