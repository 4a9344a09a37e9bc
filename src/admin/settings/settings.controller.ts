import { RequirePermissions } from '@exchanger/identity';
import { Body, Get, HttpCode, HttpStatus, Param, Put, UseGuards } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { IsDefined } from 'class-validator';
import { AppContext } from '../../common/app-context.js';
import { AppController } from '../../common/http/app-controller.js';
import { Permission } from '../../common/permissions.js';
import { CurrentActor } from '../audit/actor.decorator.js';
import type { Actor } from '../audit/audit-entry.js';
import { StepUpGuard } from '../step-up/step-up.guard.js';
import { AdminSettings, SETTINGS_REFRESH_MS } from './admin-settings.js';

export class SettingValueDto {
  /** Checked against the setting's own schema. */
  @IsDefined({ message: 'value is required' })
  value!: unknown;
}

@AppController(AppContext.Admin, 'settings')
@RequirePermissions(Permission.SettingsManage)
export class SettingsController {
  constructor(private readonly settings: AdminSettings) {}

  @Get()
  @ApiOperation({
    summary: 'Every setting: value, default, description and schema',
    description: `A change applies in every process within ${SETTINGS_REFRESH_MS / 1000} seconds.`,
  })
  list() {
    return this.settings.list();
  }

  @Put(':key')
  @UseGuards(StepUpGuard)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Set a setting (needs step-up; 400 naming the key and the problem)' })
  async set(
    @Param('key') key: string,
    @Body() body: SettingValueDto,
    @CurrentActor() actor: Actor,
  ) {
    await this.settings.set(key, body.value, actor);
  }
}
