import { hash, randomBytes } from 'node:crypto';

/** 256 random bits, base64url: exactly 43 characters. */
const TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** A new session token. It is given to the client once and never stored or logged. */
export function newSessionToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** What is stored (PostgreSQL primary key, Redis key): sha256 of the token, hex. */
export function sessionIdOf(token: string): string {
  return hash('sha256', token, 'hex');
}

/** Anything else (truncated, oversized, foreign characters) is not a session: no lookup at all. */
export function isWellFormedToken(value: string | undefined): value is string {
  return value !== undefined && TOKEN_SHAPE.test(value);
}

const SESSION_ID_SHAPE = /^[0-9a-f]{64}$/;

/** A session id as the API shows it (`GET …/auth/sessions`). */
export function isSessionId(value: string): boolean {
  return SESSION_ID_SHAPE.test(value);
}
