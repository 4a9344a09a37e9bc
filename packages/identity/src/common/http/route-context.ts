import { applyDecorators, Controller, SetMetadata } from '@nestjs/common';

/** Metadata key: the context a controller's routes belong to, or PUBLIC. */
export const ROUTE_CONTEXT = 'exchanger:route-context';
/** Metadata key: a context route that works without a session (login, register, logout). */
export const ANONYMOUS_ALLOWED = 'exchanger:anonymous-allowed';
/** Metadata key: a context route served with or without a session (a valid one is read). */
export const SESSION_OPTIONAL = 'exchanger:session-optional';
/** Metadata key: permissions a route requires in its context. */
export const REQUIRED_PERMISSIONS = 'exchanger:required-permissions';

/** Routes that belong to no context and need no session (health, documentation). */
export const PUBLIC = 'public';

/**
 * A controller whose routes belong to one session context: unless marked otherwise, they
 * need a session of that context. Every controller declares a context or is
 * `PublicController`; the guards refuse anything else.
 */
export function ContextController(context: string, path: string): ClassDecorator {
  return applyDecorators(Controller(path), SetMetadata(ROUTE_CONTEXT, context));
}

export function PublicController(path: string): ClassDecorator {
  return applyDecorators(Controller(path), SetMetadata(ROUTE_CONTEXT, PUBLIC));
}

/** The route serves callers without a session too. */
export const AllowAnonymous = (): MethodDecorator & ClassDecorator =>
  SetMetadata(ANONYMOUS_ALLOWED, true);

/** The caller's session must carry every one of these permissions in the route's context (else 403). */
export const RequirePermissions = (...permissions: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_PERMISSIONS, permissions);

/**
 * The route serves callers signed in or not: a valid session of the context is resolved
 * (read it with `@CurrentSessionIfAny()`); without one the caller is anonymous, and a
 * cookie naming no valid session (expired, revoked, forged) is cleared.
 */
export const OptionalSession = (): MethodDecorator & ClassDecorator =>
  SetMetadata(SESSION_OPTIONAL, true);
