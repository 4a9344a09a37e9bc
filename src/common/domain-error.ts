/** How a domain service refuses, whatever edge (HTTP, the bot) tells the caller. */
export type Refusal = 'invalid' | 'not_found' | 'conflict' | 'not_allowed';

/**
 * A refusal of a domain service: the input is wrong, the thing is not there, the state
 * does not allow it, or the caller may not do it yet. Services throw these, never HTTP
 * exceptions; each edge maps them (the HTTP error filter to 400, 404, 409 and 403; the bot
 * to a reply).
 */
export abstract class DomainError extends Error {
  abstract readonly refusal: Refusal;

  constructor(
    message: string,
    /** A machine-readable reason for clients that act on it (e.g. `rate_changed`). */
    readonly code?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request is wrong in itself (HTTP 400). */
export class InvalidInput extends DomainError {
  readonly refusal = 'invalid';
}

/** What the request names does not exist, or is not the caller's (HTTP 404). */
export class NotFound extends DomainError {
  readonly refusal = 'not_found';
}

/** The request is valid but the current state does not allow it (HTTP 409). */
export class Conflict extends DomainError {
  readonly refusal = 'conflict';
}

/** The caller may not do this until they do something first, which the message says (HTTP 403). */
export class NotAllowed extends DomainError {
  readonly refusal = 'not_allowed';
}
