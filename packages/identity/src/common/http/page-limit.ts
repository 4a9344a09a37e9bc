import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/**
 * `limit` of a paged list, from the query string: optional, a whole number from 1 to `max`,
 * and one message for every way it can be wrong.
 */
export function PageLimit(max: number): PropertyDecorator {
  const message = `limit must be a whole number from 1 to ${max}`;
  return applyDecorators(
    IsOptional(),
    Type(() => Number),
    IsInt({ message }),
    Min(1, { message }),
    Max(max, { message }),
  );
}
