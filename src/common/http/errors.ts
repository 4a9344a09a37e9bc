import { QueryFailedError } from 'typeorm';

/** PostgreSQL error classes that mean "the database is not available now", not "bad request". */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P)|^57014$/;
const UNAVAILABLE_NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
]);
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error',
];

/** The database could not be reached or did not answer in time: the request gets 503, not 500. */
export function isDatabaseUnavailable(error: unknown): boolean {
  // Not `instanceof Error`: a socket error of the driver may come from another realm (a VM
  // context), and it is its code that tells.
  if (typeof error !== 'object' || error === null) return false;
  const cause = error instanceof QueryFailedError ? (error.driverError as unknown) : error;
  const { code, message } = (cause ?? {}) as { code?: unknown; message?: unknown };
  if (
    typeof code === 'string' &&
    (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_NETWORK.has(code))
  ) {
    return true;
  }
  return typeof message === 'string' && UNAVAILABLE_MESSAGES.some((text) => message.includes(text));
}
