import type { Update } from 'grammy/types';
import { BotApiError } from './protocol.js';

/** Left out when `allowed_updates` is empty or was never given (Bot API, getUpdates). */
const NOT_SENT_BY_DEFAULT = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);

export const CONFLICT_OTHER_POLL =
  'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running';
export const CONFLICT_SET_WEBHOOK = 'Conflict: terminated by setWebhook request';

interface LongPoll {
  limit: number;
  timer: NodeJS.Timeout;
  answer: (updates: Update[]) => void;
  fail: (error: BotApiError) => void;
}

function typeOf(update: Update): string {
  return Object.keys(update).find((key) => key !== 'update_id') ?? '';
}

/**
 * The bot's pending updates. An update stays pending until confirmed: by a getUpdates
 * offset above its id, or by a 2xx from the webhook. At most one long poll waits at a
 * time; a second one terminates the first with 409, as on the real server.
 */
export class UpdateQueue {
  private pending: Update[] = [];
  private allowed: readonly string[] = [];
  private poll: LongPoll | undefined;

  get size(): number {
    return this.pending.length;
  }

  get allowedUpdates(): readonly string[] {
    return this.allowed;
  }

  /** Telegram keeps the previous list when a call omits `allowed_updates`. */
  setAllowed(types: readonly string[] | undefined): void {
    if (types !== undefined) this.allowed = types;
  }

  push(update: Update): void {
    this.pending.push(update);
    this.wake();
  }

  has(updateId: number): boolean {
    return this.pending.some((update) => update.update_id === updateId);
  }

  oldest(): Update | undefined {
    return this.deliverable(1)[0];
  }

  remove(updateId: number): void {
    this.pending = this.pending.filter((update) => update.update_id !== updateId);
  }

  clear(): void {
    this.pending = [];
  }

  /**
   * getUpdates: confirms everything before `offset` (a negative offset keeps only that many
   * of the newest), then answers what is pending, or waits up to `timeoutSeconds` for it.
   */
  async take(
    offset: number,
    limit: number,
    timeoutSeconds: number,
    signal: AbortSignal,
  ): Promise<Update[]> {
    this.confirm(offset);
    const ready = this.deliverable(limit);
    if (ready.length > 0 || timeoutSeconds === 0) return ready;
    this.terminatePoll(CONFLICT_OTHER_POLL);
    return new Promise<Update[]>((resolve, reject) => {
      const poll: LongPoll = {
        limit,
        timer: setTimeout(() => finish(() => resolve([])), timeoutSeconds * 1000),
        answer: (updates) => finish(() => resolve(updates)),
        fail: (error) => finish(() => reject(error)),
      };
      const finish = (settle: () => void): void => {
        clearTimeout(poll.timer);
        signal.removeEventListener('abort', onAbort);
        if (this.poll === poll) this.poll = undefined;
        settle();
      };
      // The client went away (grammY aborts its poll on bot.stop()): nobody to answer.
      const onAbort = (): void => poll.answer([]);
      signal.addEventListener('abort', onAbort);
      this.poll = poll;
    });
  }

  /** Answers the waiting long poll, if any, with 409 and `description`. */
  terminatePoll(description: string): void {
    this.poll?.fail(new BotApiError(409, description));
  }

  private wake(): void {
    if (this.poll === undefined) return;
    const ready = this.deliverable(this.poll.limit);
    if (ready.length > 0) this.poll.answer(ready);
  }

  private confirm(offset: number): void {
    const newest = this.pending.at(-1);
    if (offset < 0 && newest !== undefined) offset += newest.update_id + 1;
    if (offset > 0) this.pending = this.pending.filter((update) => update.update_id >= offset);
  }

  /** Pending updates the bot asked for; those of types it did not ask for are dropped. */
  private deliverable(limit: number): Update[] {
    this.pending = this.pending.filter((update) => this.isAllowed(typeOf(update)));
    return this.pending.slice(0, limit);
  }

  private isAllowed(type: string): boolean {
    return this.allowed.length === 0 ? !NOT_SENT_BY_DEFAULT.has(type) : this.allowed.includes(type);
  }
}
