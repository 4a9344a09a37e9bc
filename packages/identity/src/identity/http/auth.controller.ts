import {
  Body,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  Res,
  type Type,
} from '@nestjs/common';
import { AllowAnonymous, ContextController } from '../../common/http/route-context.js';
import { VALID } from '../../common/http/validation.js';
import { type ClientInfo, isSessionId, SessionService } from '../../session/index.js';
import { AuthService, type LoggedIn } from '../auth.service.js';
import {
  IDENTITY_OPTIONS,
  type IdentityContextOptions,
  type ResolvedIdentityOptions,
} from '../identity.options.js';
import { type AuthenticatedSession, Client, CurrentSession } from './authenticated.js';
import {
  ChangePasswordDto,
  CredentialsDto,
  SESSION_PAGE,
  SessionIdParams,
  SessionPageQuery,
} from './dto.js';
import type { IdentityRequest } from './identity-request.js';
import { clearSessionCookie, presentedToken, setSessionCookie } from './session-token.js';
import { sessionSummaryView, sessionView, userView } from './views.js';

/** The adapter's response: Express's `res.header` and Fastify's `reply.header` both set one. */
interface Reply {
  header(name: string, value: string): unknown;
}

/**
 * Bodies and parameters are validated here, whatever pipes the host installs: unknown
 * fields are refused, and the message names each field.
 */
/** Where a page of sessions names the next one (the body stays a plain list). */
const NEXT_CURSOR_HEADER = 'x-next-cursor';

/** Which auth routes one context mounts (`IdentityModule.forFeature`). */
export interface AuthRoutesOptions {
  /** The context the routes belong to, as named in `IdentityModule.forRoot`'s contexts. */
  readonly context: string;
  /** Where they are mounted, e.g. `web/auth`. */
  readonly path: string;
  /** Email and password: login and password change (default true). */
  readonly passwordLogin?: boolean;
  /** Self-service registration (default false). */
  readonly registration?: boolean;
  /** Password reset by mail, `…/password-reset` and `…/confirm` (default false; needs `mail`). */
  readonly passwordReset?: boolean;
  /** `…/verify-email` and `…/verify-email/resend`; registration mails a link (needs `mail`). */
  readonly emailVerification?: boolean;
}

/**
 * The auth routes of one context: who am I, my sessions, logging out; with
 * passwords, login and password change; optionally registration.
 */
export function authControllerFor(routes: AuthRoutesOptions): Type {
  const { context } = routes;

  @ContextController(context, routes.path)
  class SessionRoutes {
    protected readonly secureCookies: boolean;
    protected readonly contextOptions: IdentityContextOptions;

    constructor(
      protected readonly auth: AuthService,
      protected readonly sessions: SessionService,
      @Inject(IDENTITY_OPTIONS) options: ResolvedIdentityOptions,
    ) {
      this.secureCookies = options.cookieSecure;
      const contextOptions = options.contexts[context];
      if (contextOptions === undefined)
        throw new Error(`Auth routes for ${context}, which IdentityModule.forRoot does not list`);
      this.contextOptions = contextOptions;
    }

    /** A new session: its cookie is set, and the user is the answer. */
    protected started({ user, created }: LoggedIn, reply: Reply) {
      setSessionCookie(
        reply,
        this.contextOptions,
        created.token,
        created.maxAgeSeconds,
        this.secureCookies,
      );
      return { user: userView(user) };
    }

    /** Revoke the presented session (if any) and clear its cookie */
    @Post('logout')
    @AllowAnonymous()
    @HttpCode(HttpStatus.NO_CONTENT)
    async logout(
      @Req() request: IdentityRequest,
      @Res({ passthrough: true }) reply: Reply,
      @Client() client: ClientInfo,
    ) {
      await this.auth.logout(context, presentedToken(request, this.contextOptions)?.token, client);
      clearSessionCookie(reply, this.contextOptions, this.secureCookies);
    }

    /** Revoke all the user's sessions in this application */
    @Post('logout-all')
    @HttpCode(HttpStatus.NO_CONTENT)
    async logoutAll(
      @CurrentSession() current: AuthenticatedSession,
      @Res({ passthrough: true }) reply: Reply,
      @Client() client: ClientInfo,
    ) {
      await this.auth.logoutEverywhereIn(context, current.user.id, client);
      clearSessionCookie(reply, this.contextOptions, this.secureCookies);
    }

    /** The user, their permissions here, and this session */
    @Get('me')
    me(@CurrentSession() current: AuthenticatedSession) {
      return {
        user: userView(current.user),
        permissions: current.user.permissions,
        session: sessionView(current.session),
      };
    }

    /** The user's active sessions in this application, newest first, a page at a time (keyset: the next page's cursor is in X-Next-Cursor) */
    @Get('sessions')
    async list(
      @CurrentSession() current: AuthenticatedSession,
      @Query(VALID) query: SessionPageQuery,
      @Res({ passthrough: true }) reply: Reply,
    ) {
      const page = await this.sessions.page(current.user.id, context, {
        limit: query.limit ?? SESSION_PAGE.fallback,
        after: query.cursor,
      });
      if (page.nextCursor !== null) void reply.header(NEXT_CURSOR_HEADER, page.nextCursor);
      return page.items.map((summary) => sessionSummaryView(summary, current.session.id));
    }

    /** Revoke one of the user’s sessions (404 for any other id) */
    @Delete('sessions/:id')
    @HttpCode(HttpStatus.NO_CONTENT)
    async revoke(
      @CurrentSession() current: AuthenticatedSession,
      @Param(VALID) params: SessionIdParams,
      @Res({ passthrough: true }) reply: Reply,
      @Client() client: ClientInfo,
    ) {
      const revoked =
        isSessionId(params.id) &&
        (await this.auth.revokeOwnSession(context, current.user.id, params.id, client));
      if (!revoked) throw new NotFoundException('No such session');
      if (params.id === current.session.id && current.source === 'cookie') {
        clearSessionCookie(reply, this.contextOptions, this.secureCookies);
      }
    }
  }

  if (routes.passwordLogin === false) return named(SessionRoutes, context);

  class PasswordRoutes extends SessionRoutes {
    /** Log in with email and password; sets the session cookie */
    @Post('login')
    @AllowAnonymous()
    @HttpCode(HttpStatus.OK)
    async login(
      @Body(VALID) body: CredentialsDto,
      @Res({ passthrough: true }) reply: Reply,
      @Client() client: ClientInfo,
    ) {
      const loggedIn = await this.auth.login(context, body.email, body.password, client);
      return this.started(loggedIn, reply);
    }

    /** Change the password; every other session, in every application, is revoked */
    @Post('password')
    @HttpCode(HttpStatus.NO_CONTENT)
    async changePassword(
      @CurrentSession() current: AuthenticatedSession,
      @Body(VALID) body: ChangePasswordDto,
      @Client() client: ClientInfo,
    ) {
      await this.auth.changePassword(
        context,
        current.user.id,
        current.session.id,
        body.currentPassword,
        body.newPassword,
        client,
      );
    }
  }

  if (routes.registration !== true) return named(PasswordRoutes, context);

  class RegistrationRoutes extends PasswordRoutes {
    /** Create an account and log in */
    @Post('register')
    @AllowAnonymous()
    @HttpCode(HttpStatus.CREATED)
    async register(
      @Body(VALID) body: CredentialsDto,
      @Res({ passthrough: true }) reply: Reply,
      @Client() client: ClientInfo,
    ) {
      const registered = await this.auth.register(context, body.email, body.password, client);
      return this.started(registered, reply);
    }
  }
  return named(RegistrationRoutes, context);
}

/** `web` → `WebAuthController`: one name per context in logs and the OpenAPI document. */
function named(controller: Type, context: string): Type {
  const title = context.charAt(0).toUpperCase() + context.slice(1);
  Object.defineProperty(controller, 'name', { value: `${title}AuthController` });
  return controller;
}
