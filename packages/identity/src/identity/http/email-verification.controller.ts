import { Body, HttpCode, HttpStatus, Post, type Type } from '@nestjs/common';
import { IsString, Length } from 'class-validator';
import { AllowAnonymous, ContextController } from '../../common/http/route-context.js';
import { VALID } from '../../common/http/validation.js';
import type { ClientInfo } from '../../session/index.js';
import { EmailVerification } from '../email-verification.service.js';
import { type AuthenticatedSession, Client, CurrentSession } from './authenticated.js';

export class EmailVerificationDto {
  @IsString({ message: 'token must be a string' })
  @Length(1, 100, { message: 'token must be 1 to 100 characters' })
  token!: string;
}

/** `POST {path}/verify-email` (the mailed token) and `…/resend` (signed in), for one context. */
export function emailVerificationControllerFor(context: string, path: string): Type {
  @ContextController(context, path)
  class EmailVerificationController {
    constructor(private readonly verification: EmailVerification) {}

    @Post('verify-email')
    @AllowAnonymous()
    @HttpCode(HttpStatus.NO_CONTENT)
    async verify(
      @Body(VALID) body: EmailVerificationDto,
      @Client() client: ClientInfo,
    ): Promise<void> {
      await this.verification.verify(body.token, client);
    }

    @Post('verify-email/resend')
    @HttpCode(HttpStatus.ACCEPTED)
    async resend(
      @CurrentSession() current: AuthenticatedSession,
      @Client() client: ClientInfo,
    ): Promise<{ accepted: true }> {
      await this.verification.resend(current.user.id, client);
      return { accepted: true };
    }
  }
  return EmailVerificationController;
}
