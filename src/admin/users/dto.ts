import { Role, ROLES } from '../../common/roles.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsEnum,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
} from 'class-validator';
import { AppContext } from '../../common/app-context.js';
import { KNOWN_PERMISSIONS } from '../../common/permissions.js';
import { PageLimit } from '../../common/http/query-fields.js';

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

export class GrantDto {
  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'The grant ends at this instant (ISO 8601, in the future) in every process; for good when absent',
  })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'expiresAt must be an ISO 8601 date-time' })
  expiresAt?: string;
}

export class SessionParams extends UserIdParams {
  @ApiProperty({ description: 'The session id (sha256 of its token, hex)' })
  @Matches(/^[0-9a-f]{64}$/, { message: 'sessionId must be a session id (64 hex digits)' })
  sessionId!: string;
}

export class RoleDto {
  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES, { message: `role must be one of ${ROLES.join(', ')}` })
  role!: Role;
}

export class AccountDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean({ message: 'emailVerified must be true or false' })
  emailVerified?: boolean;

  @ApiPropertyOptional({ description: 'A disabled user cannot log in; their sessions end at once' })
  @IsOptional()
  @IsBoolean({ message: 'disabled must be true or false' })
  disabled?: boolean;
}

export class SessionScopeQuery {
  @ApiPropertyOptional({ enum: AppContext, description: 'Only the sessions of this application' })
  @IsOptional()
  @IsEnum(AppContext, { message: `context must be one of ${Object.values(AppContext).join(', ')}` })
  context?: AppContext;
}

export class UserSearchQuery {
  @ApiPropertyOptional({ description: 'Part of the email, any case' })
  @IsOptional()
  @IsString()
  @MaxLength(255, { message: 'q must be at most 255 characters' })
  q?: string;

  @ApiPropertyOptional({ enum: ROLES })
  @IsOptional()
  @IsIn(ROLES, { message: `role must be one of ${ROLES.join(', ')}` })
  role?: Role;

  @PageLimit(100, 20)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsUUID('all', { message: 'cursor must be the nextCursor of a previous page' })
  cursor?: string;
}
