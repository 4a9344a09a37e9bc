import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  ANONYMOUS_ALLOWED,
  PUBLIC,
  REQUIRED_PERMISSIONS,
  ROUTE_CONTEXT,
  SESSION_OPTIONAL,
} from '../../common/http/route-context.js';
import { SessionService } from '../../session/index.js';
import { IDENTITY_OPTIONS, type ResolvedIdentityOptions } from '../identity.options.js';
import type { IdentityRequest } from './identity-request.js';
import { clearSessionCookie, presentedToken, setSessionCookie } from './session-token.js';

/**
 * Controllers that declare neither a context nor PUBLIC: `refuse` (the start fails, and
 * their routes are refused), or `public` (their routes need no session).
 */
export type UndeclaredRoutes = 'refuse' | 'public';
export const UNDECLARED_ROUTES = Symbol('UNDECLARED_ROUTES');

/** What a route declares, read once per handler (metadata does not change at run time). */
interface RouteRule {
  readonly context: string | undefined;
  readonly anonymous: boolean;
  readonly optional: boolean;
  readonly permissions: readonly string[];
}

/** Route rules per handler, shared by the guards. */
@Injectable()
export class RouteRules {
  private readonly rules = new WeakMap<object, RouteRule>();

  constructor(private readonly reflector: Reflector) {}

  of(context: ExecutionContext): RouteRule {
    const handler = context.getHandler();
    let rule = this.rules.get(handler);
    if (rule === undefined) {
      const targets = [handler, context.getClass()];
      rule = {
        context: this.reflector.getAllAndOverride<string | undefined>(ROUTE_CONTEXT, targets),
        anonymous: this.reflector.getAllAndOverride<boolean>(ANONYMOUS_ALLOWED, targets) === true,
        optional: this.reflector.getAllAndOverride<boolean>(SESSION_OPTIONAL, targets) === true,
        permissions:
          this.reflector.getAllAndOverride<string[] | undefined>(REQUIRED_PERMISSIONS, targets) ??
          [],
      };
      this.rules.set(handler, rule);
    }
    return rule;
  }
}

/**
 * The global gate (fail closed): a route of a context needs a valid session of that
 * context unless it allows anonymous callers; a public route needs nothing; a route that
 * declares neither, or a context this module does not know, is refused. A session whose
 * expiry slid gets its cookie again with the new lifetime.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    private readonly rules: RouteRules,
    private readonly sessions: SessionService,
    @Inject(IDENTITY_OPTIONS) private readonly options: ResolvedIdentityOptions,
    @Inject(UNDECLARED_ROUTES) private readonly undeclared: UndeclaredRoutes,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.rules.of(context);
    if (rule.context === undefined) {
      if (this.undeclared === 'public') return true;
      throw new ForbiddenException('This route declares no context');
    }
    if (rule.context === PUBLIC) return true;
    const contextOptions = this.options.contexts[rule.context];
    if (contextOptions === undefined)
      throw new ForbiddenException('This route declares an unknown context');
    if (rule.anonymous) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<IdentityRequest>();
    const presented = presentedToken(request, contextOptions);
    const validated =
      presented === undefined
        ? undefined
        : await this.sessions.validate(rule.context, presented.token);
    if (presented === undefined || validated === undefined) {
      if (!rule.optional) throw new UnauthorizedException('No valid session');
      // Served anonymously; a cookie that names no valid session is not worth sending again.
      if (presented?.source === 'cookie')
        clearSessionCookie(http.getResponse<unknown>(), contextOptions, this.options.cookieSecure);
      return true;
    }
    request.authenticated = { ...validated, ...presented };
    if (validated.extendedMaxAgeSeconds !== undefined && presented.source === 'cookie') {
      setSessionCookie(
        http.getResponse<unknown>(),
        contextOptions,
        presented.token,
        validated.extendedMaxAgeSeconds,
        this.options.cookieSecure,
      );
    }
    return true;
  }
}

/** `@RequirePermissions(...)`: the session's user must hold each one in the route's context. */
@Injectable()
export class PermissionsGuard implements CanActivate {
  constructor(private readonly rules: RouteRules) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.rules.of(context).permissions;
    if (required.length === 0) return true;
    const session = context.switchToHttp().getRequest<IdentityRequest>().authenticated;
    if (session === undefined) throw new UnauthorizedException('No valid session');
    const missing = required.filter((permission) => !session.user.permissions.includes(permission));
    if (missing.length > 0)
      throw new ForbiddenException(`Missing permission: ${missing.join(', ')}`);
    return true;
  }
}
