import {
  Body,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Post,
  Req,
  Res,
  type Type,
  UseGuards,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiBody, ApiOperation, ApiResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppContext } from '../../common/app-context.js';
import { AllowAnonymous, AppController } from '../../common/http/route-context.js';
import type { AppConfig } from '../../config/app-config.js';
import { type ClientInfo, isSessionId, SessionService } from '../../session/index.js';
import { AuthService, type LoggedIn } from '../auth.service.js';
import { TelegramLinkService } from '../telegram-link.service.js';
import { type AuthenticatedSession, Client, CurrentSession } from './authenticated.js';
import { ChangePasswordDto, CredentialsDto, SessionIdParams } from './dto.js';
import { LoginBodyGuard, PasswordGuard } from './guards.js';
import { clearSessionCookie, presentedToken, setSessionCookie } from './session-token.js';
import { sessionSummaryView, sessionView, userView } from './views.js';

type Reply = FastifyReply;

/** The SPEC §5 routes every context has: who am I, my sessions, logging out. */
function sessionRoutesFor(context: AppContext) {
  @AppController(context, 'auth')
  class SessionRoutes {
    protected readonly secureCookies: boolean;

    constructor(
      protected readonly auth: AuthService,
      protected readonly sessions: SessionService,
      config: ConfigService<AppConfig, true>,
    ) {
      this.secureCookies = config.get('http', { infer: true }).cookieSecure;
    }

    @Post('logout')
    @AllowAnonymous()
    @HttpCode(HttpStatus.NO_CONTENT)
    @ApiOperation({ summary: 'Revoke the presented session (if any) and clear its cookie' })
    async logout(
      @Req() request: FastifyRequest,
      @Res({ passthrough: true }) reply: Reply,
      @Client() client: ClientInfo,
    ) {
      await this.auth.logout(context, presentedToken(request, context)?.token, client);
      clearSessionCookie(reply, context, this.secureCookies);
    }

    @Post('logout-all')
    @HttpCode(HttpStatus.NO_CONTENT)
    @ApiOperation({ summary: "Revoke all the user's sessions in this application" })
    async logoutAll(
      @CurrentSession() current: AuthenticatedSession,
      @Res({ passthrough: true }) reply: Reply,
      @Client() client: ClientInfo,
    ) {
      await this.auth.logoutEverywhereIn(context, current.user.id, client);
      clearSessionCookie(reply, context, this.secureCookies);
    }

    @Get('me')
    @ApiOperation({ summary: 'The user, their permissions here, and this session' })
    me(@CurrentSession() current: AuthenticatedSession) {
      return {
        user: userView(current.user),
        permissions: current.user.permissions,
        session: sessionView(current.session),
      };
    }

    @Get('sessions')
    @ApiOperation({ summary: "The user's active sessions in this application" })
    async list(@CurrentSession() current: AuthenticatedSession) {
      const sessions = await this.sessions.list(context, current.user.id);
      return sessions.map((summary) => sessionSummaryView(summary, current.session.id));
    }

    @Delete('sessions/:id')
    @HttpCode(HttpStatus.NO_CONTENT)
    @ApiOperation({ summary: 'Revoke one of the user’s sessions (404 for any other id)' })
    async revoke(
      @CurrentSession() current: AuthenticatedSession,
      @Param() params: SessionIdParams,
      @Res({ passthrough: true }) reply: Reply,
      @Client() client: ClientInfo,
    ) {
      const revoked =
        isSessionId(params.id) &&
        (await this.auth.revokeOwnSession(context, current.user.id, params.id, client));
      if (!revoked) throw new NotFoundException('No such session');
      if (params.id === current.session.id && current.source === 'cookie') {
        clearSessionCookie(reply, context, this.secureCookies);
      }
    }
  }
  return SessionRoutes;
}

/** Contexts users log in to with a password: web and admin. */
function passwordRoutesFor(context: AppContext) {
  class PasswordRoutes extends sessionRoutesFor(context) {
    @Post('login')
    @AllowAnonymous()
    @UseGuards(LoginBodyGuard, PasswordGuard)
    @HttpCode(HttpStatus.OK)
    @ApiBody({ type: CredentialsDto })
    @ApiOperation({
      summary: 'Log in with email and password; sets the session cookie',
      description:
        'Clients that are not browsers send the cookie value back as `Authorization: Bearer`.',
    })
    @ApiResponse({
      status: 401,
      description: 'Unknown email, wrong password (or, admin: not an admin)',
    })
    @ApiResponse({ status: 429, description: 'Too many failed attempts; see Retry-After' })
    login(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: Reply) {
      const { user, created } = request.user as unknown as LoggedIn;
      setSessionCookie(reply, context, created.token, created.maxAgeSeconds, this.secureCookies);
      return { user: userView(user) };
    }

    @Post('password')
    @HttpCode(HttpStatus.NO_CONTENT)
    @ApiOperation({
      summary: 'Change the password; every other session, in every application, is revoked',
    })
    async changePassword(
      @CurrentSession() current: AuthenticatedSession,
      @Body() body: ChangePasswordDto,
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
  return PasswordRoutes;
}

function webRoutes() {
  class WebAuthController extends passwordRoutesFor(AppContext.Web) {
    @Post('register')
    @AllowAnonymous()
    @HttpCode(HttpStatus.CREATED)
    @ApiOperation({ summary: 'Create an account and log in' })
    @ApiResponse({ status: 409, description: 'The email is already registered' })
    async register(
      @Body() body: CredentialsDto,
      @Res({ passthrough: true }) reply: Reply,
      @Client() client: ClientInfo,
    ) {
      const { user, created } = await this.auth.register(body.email, body.password, client);
      setSessionCookie(
        reply,
        AppContext.Web,
        created.token,
        created.maxAgeSeconds,
        this.secureCookies,
      );
      return { user: userView(user) };
    }
  }
  return WebAuthController;
}

/** `/{app}/auth/*` for one context, as SPEC §5 lists them. */
export function authControllerFor(context: AppContext): Type {
  switch (context) {
    case AppContext.Web:
      return webRoutes();
    case AppContext.Admin:
      return passwordRoutesFor(AppContext.Admin);
    case AppContext.Telegram:
      return sessionRoutesFor(AppContext.Telegram);
  }
}

/** Issues Telegram link codes to web sessions. */
@AppController(AppContext.Web, 'auth/telegram')
export class TelegramLinkCodeController {
  constructor(private readonly links: TelegramLinkService) {}

  @Post('link-code')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'A one-time code to send to the bot as /start CODE (10 minutes)' })
  async issue(@CurrentSession() current: AuthenticatedSession) {
    const { code, expiresAt } = await this.links.issue(current.user.id);
    return { code, expiresAt: expiresAt.toISOString() };
  }
}
