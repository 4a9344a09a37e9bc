import { type AuthenticatedSession, CurrentSession, ProfilesService } from '@exchanger/identity';
import { Body, Get, Patch } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { AppContext } from '../../common/app-context.js';
import { AppController } from '../../common/http/app-controller.js';
import { ProfileChangeDto } from './profile.dto.js';

/**
 * The signed-in customer's profile: display name, language (what the bot and mails speak),
 * time zone, and where security alerts go.
 */
@AppController(AppContext.Web, 'profile')
export class ProfileController {
  constructor(private readonly profiles: ProfilesService) {}

  @Get()
  @ApiOperation({ summary: 'My profile' })
  get(@CurrentSession() current: AuthenticatedSession) {
    return this.profiles.get(current.user.id);
  }

  @Patch()
  @ApiOperation({ summary: 'Change my profile: absent fields stay, null clears one' })
  update(@CurrentSession() current: AuthenticatedSession, @Body() change: ProfileChangeDto) {
    return this.profiles.update(current.user.id, change);
  }
}
