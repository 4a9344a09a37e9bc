import { Body, HttpCode, HttpStatus, Post, type Type } from '@nestjs/common';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';
import { AllowAnonymous, ContextController } from '../../common/http/route-context.js';
import { VALID } from '../../common/http/validation.js';
import { Client } from './authenticated.js';
import type { ClientInfo } from '../../session/index.js';
import { PasswordReset } from '../password-reset.service.js';

export class PasswordResetRequestDto {
  @IsString({ message: 'email must be a string' })
  @MaxLength(255, { message: 'email must be at most 255 characters' })
  @IsEmail({}, { message: 'email must be a valid email address' })
  email!: string;
}

export class PasswordResetConfirmDto {
  @IsString({ message: 'token must be a string' })
  @Length(1, 100, { message: 'token must be 1 to 100 characters' })
  token!: string;

  @IsString({ message: 'newPassword must be a string' })
  @Length(8, 128, { message: 'newPassword must be 8 to 128 characters' })
  newPassword!: string;
}

/** `POST {path}/password-reset` and `…/confirm` for one context (anonymous routes). */
export function passwordResetControllerFor(context: string, path: string): Type {
  @ContextController(context, path)
  class PasswordResetController {
    constructor(private readonly reset: PasswordReset) {}

    /** 202 whether or not the account exists; a known one gets a mail with a one-time link. */
    @Post('password-reset')
    @AllowAnonymous()
    @HttpCode(HttpStatus.ACCEPTED)
    async request(
      @Body(VALID) body: PasswordResetRequestDto,
      @Client() client: ClientInfo,
    ): Promise<{ accepted: true }> {
      await this.reset.request(context, body.email, client);
      return { accepted: true };
    }

    /** Sets the new password with the mailed token; every session of the user ends. */
    @Post('password-reset/confirm')
    @AllowAnonymous()
    @HttpCode(HttpStatus.NO_CONTENT)
    async confirm(
      @Body(VALID) body: PasswordResetConfirmDto,
      @Client() client: ClientInfo,
    ): Promise<void> {
      await this.reset.confirm(context, body.token, body.newPassword, client);
    }
  }
  return PasswordResetController;
}
