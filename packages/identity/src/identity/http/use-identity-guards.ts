import { UseGuards } from '@nestjs/common';
import { OriginGuard } from '../../common/http/origin.guard.js';
import { AuthenticationGuard, PermissionsGuard } from './guards.js';

/**
 * The identity guards on one controller or route, for hosts that start the module with
 * `globalGuards: false`. The order matters: a foreign origin is refused before any
 * session is read, and permissions are checked on the session the second guard found.
 */
export const UseIdentityGuards = (): MethodDecorator & ClassDecorator =>
  UseGuards(OriginGuard, AuthenticationGuard, PermissionsGuard);
