import { applyDecorators, Controller, SetMetadata } from '@nestjs/common';
import { ApiCookieAuth, ApiTags } from '@nestjs/swagger';
import { type AppContext, CONTEXTS } from '../app-context.js';

/** Metadata key: the context a controller's routes belong to, or PUBLIC. */
export const ROUTE_CONTEXT = 'exchanger:route-context';
/** Metadata key: a context route that works without a session (login, register, logout). */
export const ANONYMOUS_ALLOWED = 'exchanger:anonymous-allowed';
/** Metadata key: permissions a route requires in its context. */
export const REQUIRED_PERMISSIONS = 'exchanger:required-permissions';

/** Routes that belong to no application and need no session (health, documentation). */
export const PUBLIC = 'public';
export type RouteContext = AppContext | typeof PUBLIC;

/**
 * A controller of one application: its routes live under that application's prefix and,
 * unless marked otherwise, need a session of that application. Every controller is either
 * this or `PublicController`; the application refuses to start otherwise.
 */
export function AppController(context: AppContext, path: string): ClassDecorator {
  const { routePrefix, sessionCookie } = CONTEXTS[context];
  return applyDecorators(
    Controller(`${routePrefix}/${path}`),
    SetMetadata(ROUTE_CONTEXT, context),
    ApiTags(context),
    ApiCookieAuth(sessionCookie),
  );
}

export function PublicController(path: string): ClassDecorator {
  return applyDecorators(Controller(path), SetMetadata(ROUTE_CONTEXT, PUBLIC));
}

/** The route serves callers without a session too (the session, if any, is still read). */
export const AllowAnonymous = (): MethodDecorator & ClassDecorator =>
  SetMetadata(ANONYMOUS_ALLOWED, true);

/** The caller's session must carry every one of these permissions in the route's context (else 403). */
export const RequirePermissions = (...permissions: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_PERMISSIONS, permissions);
