import { RequirePermissions } from '@exchanger/identity';
import {
  Body,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseIntPipe,
  Post,
  UseGuards,
} from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { IsDefined } from 'class-validator';
import { AppContext } from '../../common/app-context.js';
import { AppController } from '../../common/http/app-controller.js';
import { Permission } from '../../common/permissions.js';
import { CurrentActor } from '../audit/actor.decorator.js';
import type { Actor } from '../audit/audit-entry.js';
import { StepUpGuard } from '../step-up/step-up.guard.js';
import { Configurations } from './configurations.service.js';

export class ConfigurationDto {
  /** Checked against the kind's schema. */
  @IsDefined({ message: 'value is required' })
  value!: unknown;
}

@AppController(AppContext.Admin, 'configurations')
/** Configurations govern security (alert rules, rate bounds): every change needs step-up. */
@RequirePermissions(Permission.SettingsManage)
export class ConfigurationsController {
  constructor(private readonly configurations: Configurations) {}

  @Get(':kind')
  @ApiOperation({ summary: 'Every version of a kind (alert-rules, rate-bounds), newest first' })
  list(@Param('kind') kind: string) {
    return this.configurations.list(kind);
  }

  @Post(':kind')
  @UseGuards(StepUpGuard)
  @ApiOperation({ summary: 'Save a new version (validated against the kind; not active yet)' })
  create(
    @Param('kind') kind: string,
    @Body() body: ConfigurationDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.configurations.create(kind, body.value, actor);
  }

  @Post(':kind/versions/:version/activate')
  @UseGuards(StepUpGuard)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Activate a version; the others stay, for rollback' })
  activate(
    @Param('kind') kind: string,
    @Param('version', ParseIntPipe) version: number,
    @CurrentActor() actor: Actor,
  ) {
    return this.configurations.activate(kind, version, actor);
  }
}
