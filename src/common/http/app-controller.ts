import { ContextController } from '@exchanger/identity';
import { applyDecorators } from '@nestjs/common';
import { ApiCookieAuth, ApiTags } from '@nestjs/swagger';
import { type AppContext, CONTEXTS } from '../app-context.js';

/** A controller of one of this product's applications, under that application's prefix. */
export function AppController(context: AppContext, path: string): ClassDecorator {
  const { routePrefix, sessionCookie } = CONTEXTS[context];
  return applyDecorators(
    ContextController(context, `${routePrefix}/${path}`),
    ApiTags(context),
    ApiCookieAuth(sessionCookie),
  );
}
