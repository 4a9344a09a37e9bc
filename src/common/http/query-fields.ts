import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsInt, IsOptional, Max, Min } from 'class-validator';

/**
 * `limit` of a paged list, from the query string: optional, a whole number from 1 to `max`,
 * and one message for every way it can be wrong. `fallback` is what the route takes without it.
 */
export function PageLimit(max: number, fallback: number): PropertyDecorator {
  const message = `limit must be a whole number from 1 to ${max}`;
  return applyDecorators(
    ApiPropertyOptional({ minimum: 1, maximum: max, default: fallback }),
    IsOptional(),
    Type(() => Number),
    IsInt({ message }),
    Min(1, { message }),
    Max(max, { message }),
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
