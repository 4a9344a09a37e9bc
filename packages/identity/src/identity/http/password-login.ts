import { type CanActivate, Injectable, type Type } from '@nestjs/common';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { AuthService, type LoggedIn } from '../auth.service.js';
import { clientInfoOf } from './authenticated.js';
import type { IdentityRequest } from './identity-request.js';

/**
 * Passport's email-and-password login for one context: a strategy named after the
 * context, and the guard that runs it and puts the result on `request.login`. The body
 * has been validated before (LoginBodyGuard).
 */
export function passwordLoginFor(context: string): {
  strategy: Type;
  guard: Type<CanActivate>;
} {
  const name = `password:${context}`;

  @Injectable()
  class PasswordStrategy extends PassportStrategy(LocalStrategy, name) {
    constructor(private readonly auth: AuthService) {
      super({ usernameField: 'email', passwordField: 'password', passReqToCallback: true });
    }

    validate(request: IdentityRequest, email: string, password: string): Promise<LoggedIn> {
      return this.auth.login(context, email, password, clientInfoOf(request));
    }
  }

  @Injectable()
  class PasswordGuard extends AuthGuard(name) {
    override getAuthenticateOptions() {
      return { property: 'login', session: false };
    }
  }

  return { strategy: PasswordStrategy, guard: PasswordGuard };
}
