import { ApiProperty } from '@nestjs/swagger';
import {
  IsEmail,
  IsEnum,
  IsIn,
  IsString,
  IsUUID,
  Length,
  Matches,
  MaxLength,
} from 'class-validator';
import { AppContext } from '../../common/app-context.js';
import { UserRole } from '../entities/index.js';
import { KNOWN_PERMISSIONS } from '../permissions.js';

const PASSWORD_LENGTH = 'must be 8 to 128 characters';

export class CredentialsDto {
  @ApiProperty({ example: 'alice@example.com', maxLength: 255 })
  @IsString({ message: 'email must be a string' })
  @MaxLength(255, { message: 'email must be at most 255 characters' })
  @IsEmail({}, { message: 'email must be a valid email address' })
  email!: string;

  @ApiProperty({ minLength: 8, maxLength: 128 })
  @IsString({ message: 'password must be a string' })
  @Length(8, 128, { message: `password ${PASSWORD_LENGTH}` })
  password!: string;
}

export class ChangePasswordDto {
  @ApiProperty({ maxLength: 128 })
  @IsString({ message: 'currentPassword must be a string' })
  @Length(1, 128, { message: 'currentPassword must be 1 to 128 characters' })
  currentPassword!: string;

  @ApiProperty({ minLength: 8, maxLength: 128 })
  @IsString({ message: 'newPassword must be a string' })
  @Length(8, 128, { message: `newPassword ${PASSWORD_LENGTH}` })
  newPassword!: string;
}

export class SessionIdParams {
  @ApiProperty({ description: 'The session id (sha256 of its token, hex)' })
  @IsString()
  id!: string;
}

export class UserIdParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'id must be a UUID' })
  id!: string;
}

export class PermissionParams extends UserIdParams {
  @ApiProperty({ enum: AppContext })
  @IsEnum(AppContext, { message: `context must be one of ${Object.values(AppContext).join(', ')}` })
  context!: AppContext;

  @ApiProperty({ enum: KNOWN_PERMISSIONS })
  @IsIn(KNOWN_PERMISSIONS, { message: `permission must be one of ${KNOWN_PERMISSIONS.join(', ')}` })
  permission!: string;
}

export class RoleDto {
  @ApiProperty({ enum: UserRole })
  @IsEnum(UserRole, { message: `role must be one of ${Object.values(UserRole).join(', ')}` })
  role!: UserRole;
}

export class TelegramLinkDto {
  @ApiProperty({ description: 'Telegram user id (digits)', example: '123456789' })
  @IsString({ message: 'telegramUserId must be a string of digits' })
  @Matches(/^[1-9][0-9]{0,18}$/, { message: 'telegramUserId must be a string of digits' })
  telegramUserId!: string;

  @ApiProperty({ description: 'The code from /start CODE' })
  @IsString({ message: 'code must be a string' })
  @Matches(/^[A-Za-z0-9_-]{22}$/, { message: 'code is malformed' })
  code!: string;
}
