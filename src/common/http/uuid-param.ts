import { BadRequestException, ParseUUIDPipe } from '@nestjs/common';

/** `@Param('id', UUID_PARAM)`: a malformed id is a 400 naming it, never a lookup. */
export const UUID_PARAM = new ParseUUIDPipe({
  exceptionFactory: () => new BadRequestException('id must be a UUID'),
});
