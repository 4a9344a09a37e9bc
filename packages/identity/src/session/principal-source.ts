import type { Principal } from './session.types.js';

/**
 * The port through which the session store reaches users and their permissions; the owner
 * of the users (IdentityModule) provides it. It speaks SQL because a session and its user
 * are read in one statement on a cache miss: the store joins the session row with the
 * principal's subquery (`LATERAL`), so the users' tables stay the owner's business.
 */
export interface PrincipalSource {
  /**
   * A SELECT yielding at most one row: the principal of the user whose id is the SQL
   * expression `userId`, as the context given by the SQL expression `context` sees them —
   * no row when the user may not use that context (deleted, disabled, wrong role).
   * Its columns must not start with `session_`.
   */
  sql(userId: string, context: string): string;
  /** The principal in a row of that SELECT. */
  read(row: Readonly<Record<string, unknown>>): Principal;
}
