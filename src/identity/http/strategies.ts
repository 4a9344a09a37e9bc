import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy as CustomStrategy } from 'passport-custom';
import { Strategy as LocalStrategy } from 'passport-local';
import { SessionService } from '../../session/index.js';
import { AuthService, type LoggedIn } from '../auth.service.js';
import { type AuthenticatedSession, clientInfoOf } from './authenticated.js';
import { presentedToken } from './session-token.js';

function routeContextOf(request: FastifyRequest) {
  if (request.routeContext === undefined) throw new Error('The route context was not resolved');
  return request.routeContext;
}

/** Email and password, for the login routes; the body has been validated before. */
@Injectable()
export class PasswordStrategy extends PassportStrategy(LocalStrategy, 'password') {
  constructor(private readonly auth: AuthService) {
    super({ usernameField: 'email', passwordField: 'password', passReqToCallback: true });
  }

  validate(request: FastifyRequest, email: string, password: string): Promise<LoggedIn> {
    return this.auth.login(routeContextOf(request), email, password, clientInfoOf(request));
  }
}

/**
 * The session cookie of the route's context, or a bearer token. A token of another
 * context, or anything malformed, is simply not a session here.
 */
@Injectable()
export class SessionStrategy extends PassportStrategy(CustomStrategy, 'session') {
  constructor(private readonly sessions: SessionService) {
    super();
  }

  async validate(request: FastifyRequest): Promise<AuthenticatedSession | null> {
    const context = routeContextOf(request);
    const presented = presentedToken(request, context);
    if (presented === undefined) return null;
    const validated = await this.sessions.validate(context, presented.token);
    return validated === undefined ? null : { ...validated, ...presented };
  }
}
