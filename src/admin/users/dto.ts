import { ApiProperty } from '@nestjs/swagger';
import { IsEnum, IsIn, IsUUID } from 'class-validator';
import { AppContext } from '../../common/app-context.js';
import { KNOWN_PERMISSIONS } from '../../common/permissions.js';
import { UserRole } from '../../identity/index.js';

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
