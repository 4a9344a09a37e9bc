import type { IncomingMessage } from 'node:http';

/** Whether the request body has been received whole (or never will be: the request is gone). */
export function bodyIsIn(body: IncomingMessage): boolean {
  // `complete` is set by the HTTP parser; an injected request (tests) only ends its stream.
  return body.complete || body.readableEnded || body.destroyed;
}

/** A client sending more than this past the limit, or for longer, is cut off unanswered. */
const DRAIN_MAX_BYTES = 64 * 1024 * 1024;
const DRAIN_MAX_MS = 10_000;

/**
 * Reads and discards what is left of a request body. Closing a socket with unread data
 * makes the kernel send a reset, and a client still sending then loses the answer it has
 * not read yet. Bounded in bytes and time: resolves when the body has ended or either
 * bound is reached (the answer then goes out, and the connection closes, regardless).
 */
export function drainBody(body: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    if (bodyIsIn(body)) {
      resolve();
      return;
    }
    let received = 0;
    const finish = () => {
      clearTimeout(timer);
      body.off('data', count).off('end', finish).off('error', finish).off('close', finish);
      resolve();
    };
    const count = (chunk: Buffer) => {
      received += chunk.length;
      if (received > DRAIN_MAX_BYTES) finish();
    };
    const timer = setTimeout(finish, DRAIN_MAX_MS);
    body.on('data', count).on('end', finish).on('error', finish).on('close', finish);
    body.resume();
  });
}
