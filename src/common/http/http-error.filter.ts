import { TooManyRequestsException } from '@exchanger/identity';
import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { DomainError, type Refusal } from '../domain-error.js';
import { isDatabaseUnavailable } from './errors.js';

const REFUSAL_STATUS: Record<Refusal, number> = {
  invalid: HttpStatus.BAD_REQUEST,
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  not_allowed: HttpStatus.FORBIDDEN,
};

/** The one error shape of the API. Never a stack trace or SQL text. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  requestId: string;
  /** A machine-readable reason, when the exception gives one (e.g. `step_up_required`). */
  code?: string;
}

interface Described {
  status: number;
  message: string;
  code?: string;
}

function describe(exception: unknown): Described {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message: unknown =
      typeof response === 'string' ? response : (response as { message?: unknown }).message;
    const code: unknown =
      typeof response === 'string' ? undefined : (response as { code?: unknown }).code;
    return {
      status,
      message: Array.isArray(message)
        ? message.join('; ')
        : typeof message === 'string'
          ? message
          : exception.message,
      ...(typeof code === 'string' && { code }),
    };
  }
  if (exception instanceof DomainError) {
    return {
      status: REFUSAL_STATUS[exception.refusal],
      message: exception.message,
      ...(exception.code !== undefined && { code: exception.code }),
    };
  }
  if (isDatabaseUnavailable(exception)) {
    return { status: HttpStatus.SERVICE_UNAVAILABLE, message: 'Service temporarily unavailable' };
  }
  return { status: HttpStatus.INTERNAL_SERVER_ERROR, message: 'Internal server error' };
}

/** Every error, from a handler, a guard or Fastify itself (parsing, body size), ends here. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { status, message, code } = describe(exception);
    if (status === 503) this.logger.warn(`database unavailable: ${String(exception)}`);
    else if (status >= 500) this.logger.error(exception);
    if (exception instanceof TooManyRequestsException) {
      void reply.header('retry-after', String(exception.retryAfterSeconds));
    }
    const body: ErrorBody = {
      statusCode: status,
      error: STATUS_CODES[status] ?? 'Error',
      message,
      requestId: request.id,
      ...(code !== undefined && { code }),
    };
    void reply.status(status).send(body);
  }
}
