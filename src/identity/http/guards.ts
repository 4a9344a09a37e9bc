import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  ANONYMOUS_ALLOWED,
  PUBLIC,
  REQUIRED_PERMISSIONS,
  ROUTE_CONTEXT,
  type RouteContext,
} from '../../common/http/route-context.js';
import { createValidationPipe } from '../../common/http/validation.js';
import type { AppConfig } from '../../config/app-config.js';
import type { AuthenticatedSession } from './authenticated.js';
import { CredentialsDto } from './dto.js';
import { setSessionCookie } from './session-token.js';

/**
 * The global gate (fail closed): a route of an application needs a valid session of that
 * application unless it allows anonymous callers; a public route needs nothing; a route
 * that declares neither is refused (and the application does not start with one).
 * A session whose expiry slid gets its cookie again with the new lifetime.
 */
@Injectable()
export class AuthenticationGuard extends AuthGuard('session') implements CanActivate {
  private readonly secureCookies: boolean;

  constructor(
    private readonly reflector: Reflector,
    config: ConfigService<AppConfig, true>,
  ) {
    super();
    this.secureCookies = config.get('http', { infer: true }).cookieSecure;
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const route = this.reflector.getAllAndOverride<RouteContext | undefined>(
      ROUTE_CONTEXT,
      targets,
    );
    if (route === undefined) throw new ForbiddenException('This route declares no context');
    if (route === PUBLIC) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    request.routeContext = route;
    if (this.reflector.getAllAndOverride<boolean>(ANONYMOUS_ALLOWED, targets) === true) return true;
    await super.canActivate(context);
    const session = request.user;
    if (session?.extendedMaxAgeSeconds !== undefined && session.source === 'cookie') {
      const reply = context.switchToHttp().getResponse<FastifyReply>();
      setSessionCookie(
        reply,
        route,
        session.token,
        session.extendedMaxAgeSeconds,
        this.secureCookies,
      );
    }
    return true;
  }

  override handleRequest<T>(error: unknown, session: T | false): T {
    if (error instanceof Error) throw error;
    if (session === false || session === null) throw new UnauthorizedException('No valid session');
    return session;
  }
}

/** `@RequirePermissions(...)`: the session's user must hold each one in the route's context. */
@Injectable()
export class PermissionsGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<string[] | undefined>(REQUIRED_PERMISSIONS, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (required === undefined || required.length === 0) return true;
    const session: AuthenticatedSession | undefined = context
      .switchToHttp()
      .getRequest<FastifyRequest>().user;
    if (session === undefined) throw new UnauthorizedException('No valid session');
    const missing = required.filter((permission) => !session.user.permissions.includes(permission));
    if (missing.length > 0)
      throw new ForbiddenException(`Missing permission: ${missing.join(', ')}`);
    return true;
  }
}

/**
 * Guards run before pipes, so the login body is validated here, ahead of the password
 * strategy: `{}` is a 400 naming the fields, not a 401.
 */
@Injectable()
export class LoginBodyGuard implements CanActivate {
  private readonly pipe = createValidationPipe();

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    await this.pipe.transform(request.body ?? {}, { type: 'body', metatype: CredentialsDto });
    return true;
  }
}

/** Passport's email-and-password check, after LoginBodyGuard. */
@Injectable()
export class PasswordGuard extends AuthGuard('password') {}
