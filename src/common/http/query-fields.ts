import { PageLimit as ValidPageLimit } from '@exchanger/identity';
import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsOptional } from 'class-validator';

/**
 * `limit` of a paged list, from the query string: optional, a whole number from 1 to `max`,
 * and one message for every way it can be wrong. `fallback` is what the route takes without it.
 */
export function PageLimit(max: number, fallback: number): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ minimum: 1, maximum: max, default: fallback }),
    ValidPageLimit(max),
  );
}

/** An optional moment from the query string or a body, 400 naming `field` when it is none. */
export function OptionalDate(field: string): PropertyDecorator {
  return applyDecorators(
    IsOptional(),
    Type(() => Date),
    IsDate({ message: `${field} must be a date` }),
  );
}
