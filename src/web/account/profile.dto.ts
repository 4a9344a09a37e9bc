import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsTimeZone,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import { LANGUAGES } from '../../common/languages.js';

export class AlertChannelsDto {
  @ApiPropertyOptional({ description: 'Security alerts by mail' })
  @IsOptional()
  @IsBoolean({ message: 'alerts.email must be true or false' })
  email?: boolean;

  @ApiPropertyOptional({ description: 'Security alerts in the linked Telegram chat' })
  @IsOptional()
  @IsBoolean({ message: 'alerts.telegram must be true or false' })
  telegram?: boolean;
}

/** A change of the profile: absent fields stay as they are, null clears one. */
export class ProfileChangeDto {
  @ApiPropertyOptional({ nullable: true, maxLength: 100 })
  @IsOptional()
  @IsString({ message: 'displayName must be a string' })
  @Length(1, 100, { message: 'displayName must be 1 to 100 characters' })
  @Matches(/^(?!\s)[^\p{Cc}\p{Cf}]*(?<!\s)$/u, {
    message: 'displayName must not start or end with a space or hold control characters',
  })
  displayName?: string | null;

  @ApiPropertyOptional({ nullable: true, enum: LANGUAGES })
  @IsOptional()
  @IsIn(LANGUAGES, { message: `language must be one of ${LANGUAGES.join(', ')}` })
  language?: string | null;

  @ApiPropertyOptional({ nullable: true, example: 'Europe/Moscow' })
  @IsOptional()
  @IsString({ message: 'timeZone must be a string' })
  @IsTimeZone({ message: 'timeZone must be an IANA time zone, e.g. Europe/Moscow' })
  timeZone?: string | null;

  @ApiPropertyOptional({ type: AlertChannelsDto })
  @IsOptional()
  @IsObject({ message: 'alerts must be an object' })
  @ValidateNested()
  @Type(() => AlertChannelsDto)
  alerts?: AlertChannelsDto;
}
