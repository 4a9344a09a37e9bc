import { RequirePermissions } from '@exchanger/identity';
import { Body, Get, HttpCode, HttpStatus, Param, Put, UseGuards } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { IsDefined } from 'class-validator';
import { AppContext } from '../../common/app-context.js';
import { AppController } from '../../common/http/app-controller.js';
import { Permission } from '../../common/permissions.js';
import { isWebSettingKey, WebSettings } from '../../web/index.js';
import { CurrentActor } from '../audit/actor.decorator.js';
import type { Actor } from '../audit/audit-entry.js';
import { AuditTrail } from '../audit/audit-trail.js';
import { StepUpGuard } from '../step-up/step-up.guard.js';
import { AdminSettings, SETTINGS_REFRESH_MS, settingChanged } from './admin-settings.js';

export class SettingValueDto {
  /** Checked against the setting's own schema. */
  @IsDefined({ message: 'value is required' })
  value!: unknown;
}

/**
 * Every run-time setting staff may change: the admin application's own (AdminSettings) and
 * the web application's (changed through its services, audited in its database).
 */
@AppController(AppContext.Admin, 'settings')
@RequirePermissions(Permission.SettingsManage)
export class SettingsController {
  constructor(
    private readonly settings: AdminSettings,
    private readonly web: WebSettings,
    private readonly audit: AuditTrail,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Every setting: value, default, description and schema',
    description: `A change of an admin setting applies in every process within ${SETTINGS_REFRESH_MS / 1000} seconds; of a web setting (\`application: "web"\`), from the next request on.`,
  })
  async list() {
    return [
      ...this.settings.list().map((setting) => ({ ...setting, application: AppContext.Admin })),
      ...(await this.web.list()).map((setting) => ({ ...setting, application: AppContext.Web })),
    ];
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
    if (!isWebSettingKey(key)) return this.settings.set(key, body.value, actor);
    await this.web.set(key, body.value, actor.id, (manager, before, after) =>
      this.audit.inWeb(manager, settingChanged(actor, key, before, after)),
    );
  }
}
