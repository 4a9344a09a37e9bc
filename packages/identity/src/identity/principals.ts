import type { Principal, PrincipalSource } from '../session/index.js';
import type { IdentityContextOptions } from './identity.options.js';

/** Context names and roles are written into SQL as literals: only plain names are accepted. */
const PLAIN_NAME = /^[A-Za-z0-9_.:-]{1,50}$/;

function literal(name: string): string {
  if (!PLAIN_NAME.test(name)) throw new Error(`Not a plain name: ${JSON.stringify(name)}`);
  return `'${name}'`;
}

/**
 * Who a session's user is, for the session store: the user, if they may use the context
 * (not disabled; a context that requires a role shows only users of that role), with the permissions
 * granted in that context and not expired.
 */
export class IdentityPrincipals implements PrincipalSource {
  private readonly roleCondition: string;

  constructor(contexts: Readonly<Record<string, IdentityContextOptions>>) {
    const required = Object.entries(contexts).filter(([, options]) => options.requiredRole);
    this.roleCondition =
      required.length === 0
        ? 'true'
        : `CASE __CONTEXT__ ${required
            .map(
              ([name, options]) =>
                `WHEN ${literal(name)} THEN u.role = ${literal(options.requiredRole as string)}`,
            )
            .join(' ')} ELSE true END`;
  }

  sql(userId: string, context: string): string {
    return `SELECT u.id, u.email, u.role, u.email_verified, ARRAY(
        SELECT p.permission FROM user_permissions p
        WHERE p.user_id = u.id AND p.application_context = ${context}
          AND (p.expires_at IS NULL OR p.expires_at > now())
        ORDER BY p.permission) AS permissions, (
        SELECT min(p.expires_at) FROM user_permissions p
        WHERE p.user_id = u.id AND p.application_context = ${context} AND p.expires_at > now()
      ) AS valid_until
      FROM users u WHERE u.id = ${userId} AND u.disabled_at IS NULL AND ${this.roleCondition.replaceAll('__CONTEXT__', context)}`;
  }

  read(row: Readonly<Record<string, unknown>>): Principal {
    return {
      id: row.id as string,
      email: row.email as string,
      role: row.role as string,
      emailVerified: row.email_verified as boolean,
      permissions: row.permissions as string[],
      ...(row.valid_until instanceof Date && { validUntil: row.valid_until.getTime() }),
    };
  }
}
