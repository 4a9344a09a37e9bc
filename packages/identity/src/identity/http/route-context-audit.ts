import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { ROUTE_CONTEXT } from '../../common/http/route-context.js';

/**
 * Fails the start when a controller declares neither an application context nor PUBLIC:
 * the guards would refuse its routes anyway, but a missing declaration is a bug to see now.
 */
@Injectable()
export class RouteContextAudit implements OnApplicationBootstrap {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    const undeclared = this.discovery
      .getControllers()
      .map((wrapper) => wrapper.metatype)
      .filter((controller): controller is NonNullable<typeof controller> => controller !== null)
      .filter((controller) => this.reflector.get(ROUTE_CONTEXT, controller) === undefined)
      .map((controller) => controller.name);
    if (undeclared.length > 0) {
      throw new Error(
        `Controllers without a route context (AppController or PublicController): ${undeclared.join(', ')}`,
      );
    }
  }
}
