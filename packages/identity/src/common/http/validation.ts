import { ValidationPipe } from '@nestjs/common';

/**
 * One validation behaviour for every body, query and parameter: unknown fields are
 * rejected (not stripped), types are not coerced, and the message names each field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
  });
}

/** What the package's own routes validate with, whether or not the host installs a pipe. */
export const VALID = createValidationPipe();
