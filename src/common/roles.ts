/** This product's roles: customers, and staff (the only ones who may hold an admin session). */
export const Role = {
  User: 'user',
  Admin: 'admin',
} as const;
export type Role = (typeof Role)[keyof typeof Role];

export const ROLES: readonly Role[] = Object.values(Role);
