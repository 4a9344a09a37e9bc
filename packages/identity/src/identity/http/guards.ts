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
} from '../../common/http/route-context.js';
import { createValidationPipe } from '../../common/http/validation.js';
import { SessionService } from '../../session/index.js';
import { IDENTITY_OPTIONS, type ResolvedIdentityOptions } from '../identity.options.js';
import { CredentialsDto } from './dto.js';
import type { IdentityRequest } from './identity-request.js';
import { presentedToken, setSessionCookie } from './session-token.js';

/** What a route declares, read once per handler (metadata does not change at run time). */
interface RouteRule {
  readonly context: string | undefined;
  readonly anonymous: boolean;
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
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.rules.of(context);
    if (rule.context === undefined) throw new ForbiddenException('This route declares no context');
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
    if (presented === undefined || validated === undefined)
      throw new UnauthorizedException('No valid session');
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

/**
 * Guards run before pipes, so the login body is validated here, ahead of the password
 * check: `{}` is a 400 naming the fields, not a 401.
 */
@Injectable()
export class LoginBodyGuard implements CanActivate {
  private readonly pipe = createValidationPipe();

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<IdentityRequest>();
    await this.pipe.transform(request.body ?? {}, { type: 'body', metatype: CredentialsDto });
    return true;
  }
}
