import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { IdentityRequest } from '@exchanger/identity';
import { StepUp } from './step-up.js';

/** On a route: the step-up rule (after the session and permission guards). */
@Injectable()
export class StepUpGuard implements CanActivate {
  constructor(private readonly stepUp: StepUp) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const session = context.switchToHttp().getRequest<IdentityRequest>().authenticated;
    if (session === undefined) return false;
    await this.stepUp.require(session);
    return true;
  }
}
