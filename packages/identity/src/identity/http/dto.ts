import { IsEmail, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { PageLimit } from '../../common/http/page-limit.js';

const PASSWORD_LENGTH = 'must be 8 to 128 characters';

export class CredentialsDto {
  @IsString({ message: 'email must be a string' })
  @MaxLength(255, { message: 'email must be at most 255 characters' })
  @IsEmail({}, { message: 'email must be a valid email address' })
  email!: string;

  @IsString({ message: 'password must be a string' })
  @Length(8, 128, { message: `password ${PASSWORD_LENGTH}` })
  password!: string;
}

export class ChangePasswordDto {
  @IsString({ message: 'currentPassword must be a string' })
  @Length(1, 128, { message: 'currentPassword must be 1 to 128 characters' })
  currentPassword!: string;

  @IsString({ message: 'newPassword must be a string' })
  @Length(8, 128, { message: `newPassword ${PASSWORD_LENGTH}` })
  newPassword!: string;
}

export class SessionIdParams {
  @IsString()
  id!: string;
}

/** Sessions listed per page by default, and at most. */
export const SESSION_PAGE = { fallback: 50, max: 100 } as const;

export class SessionPageQuery {
  @PageLimit(SESSION_PAGE.max)
  limit?: number;

  @IsOptional()
  @Matches(/^[0-9a-f]{64}$/, { message: 'cursor must be the X-Next-Cursor of a previous page' })
  cursor?: string;
}
