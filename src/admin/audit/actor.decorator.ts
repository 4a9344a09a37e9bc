import { clientInfoOf } from '@exchanger/identity';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { IdentityRequest } from '@exchanger/identity';
import type { Actor } from './audit-entry.js';

/** The staff member behind the request (routes that need a session), for the audit trail. */
export const CurrentActor = createParamDecorator((_: unknown, context: ExecutionContext): Actor => {
  const request = context.switchToHttp().getRequest<IdentityRequest>();
  const session = request.authenticated;
  if (session === undefined) throw new Error('CurrentActor used on a route without a session');
  return { id: session.user.id, client: clientInfoOf(request) };
});
