import { ANONYMOUS_ALLOWED, REQUIRED_PERMISSIONS, ROUTE_CONTEXT } from '@exchanger/identity';
import { RequestMethod } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

export interface RouteInfo {
  method: string;
  path: string;
  context: string;
  access: string;
}

/**
 * Every route of the application with its context and access rule: none (public),
 * anonymous or session, then the permissions and the route's own guards.
 */
export function routesOf(app: NestFastifyApplication): RouteInfo[] {
  const discovery = app.get(DiscoveryService);
  const scanner = app.get(MetadataScanner);
  const reflector = app.get(Reflector);
  const routes: RouteInfo[] = [];
  for (const wrapper of discovery.getControllers()) {
    const controller = wrapper.metatype as (new (...args: never[]) => object) | null;
    if (controller === null) continue;
    const base = String(Reflect.getMetadata(PATH_METADATA, controller));
    for (const name of scanner.getAllMethodNames(controller.prototype)) {
      const handler = (controller.prototype as Record<string, object>)[name];
      if (handler === undefined) continue;
      const path: unknown = Reflect.getMetadata(PATH_METADATA, handler);
      if (typeof path !== 'string') continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      const targets = [handler as () => void, controller];
      const context = reflector.getAllAndOverride<string | undefined>(ROUTE_CONTEXT, targets);
      const permissions = reflector.getAllAndOverride<string[] | undefined>(
        REQUIRED_PERMISSIONS,
        targets,
      );
      const anonymous = reflector.getAllAndOverride<boolean | undefined>(
        ANONYMOUS_ALLOWED,
        targets,
      );
      const guards = [
        ...((Reflect.getMetadata(GUARDS_METADATA, controller) as
          Array<{ name: string }> | undefined) ?? []),
        ...((Reflect.getMetadata(GUARDS_METADATA, handler) as
          Array<{ name: string }> | undefined) ?? []),
      ].map((guard) => guard.name);
      const access = [
        context === 'public' ? 'none' : anonymous === true ? 'anonymous' : 'session',
        ...(permissions ?? []),
        ...guards,
      ].join('+');
      const fullPath =
        `/${[base, path].filter((part) => part !== '' && part !== '/').join('/')}`.replace(
          /\/+/g,
          '/',
        );
      routes.push({
        method: method ?? 'UNKNOWN',
        path: fullPath,
        context: context ?? 'UNDECLARED',
        access,
      });
    }
  }
  return routes;
}
