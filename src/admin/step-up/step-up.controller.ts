import {
  type AuthenticatedSession,
  AuthService,
  Client,
  type ClientInfo,
  CurrentSession,
} from '@exchanger/identity';
import { Body, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiResponse } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { AppContext } from '../../common/app-context.js';
import { AppController } from '../../common/http/app-controller.js';
import { StepUp } from './step-up.js';

export class ConfirmPasswordDto {
  @ApiProperty({ maxLength: 128 })
  @IsString({ message: 'password must be a string' })
  @Length(1, 128, { message: 'password must be 1 to 128 characters' })
  password!: string;
}

@AppController(AppContext.Admin, 'auth')
export class StepUpController {
  constructor(
    private readonly auth: AuthService,
    private readonly stepUp: StepUp,
  ) {}

  @Post('confirm')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Enter the password again: dangerous actions are allowed in this session for a while',
  })
  @ApiResponse({ status: 400, description: 'The password is wrong' })
  @ApiResponse({ status: 429, description: 'Too many wrong passwords (throttled like a login)' })
  async confirm(
    @Body() body: ConfirmPasswordDto,
    @CurrentSession() current: AuthenticatedSession,
    @Client() client: ClientInfo,
  ) {
    await this.auth.confirmPassword(
      AppContext.Admin,
      current.user.id,
      current.session.id,
      body.password,
      client,
    );
    return { stepUpUntil: new Date(Date.now() + this.stepUp.windowMs()).toISOString() };
  }
}
