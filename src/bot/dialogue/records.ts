import { Injectable } from '@nestjs/common';
import { keptArguments, keptText } from '../updates/secret-arguments.js';
import type { HandledUpdate } from '../updates/update-shape.js';
import type { CommandResult, UpdateScope } from './update-scope.js';

/**
 * The bot's records, written in the transaction that handles the update: every inbound
 * message (`messages`, direction in; outbound ones are recorded by the sender once
 * delivered) and every command (`user_commands`: name, arguments, result, duration).
 * Secret arguments (the link code of `/start CODE`) are stored masked.
 */
@Injectable()
export class Records {
  async inbound(scope: UpdateScope, update: HandledUpdate): Promise<void> {
    const [messageId, type, content] =
      update.kind === 'message'
        ? [
            update.message.message_id,
            update.message.entities?.[0]?.type === 'bot_command' &&
            update.message.entities[0].offset === 0
              ? 'command'
              : 'text',
            {
              text: update.message.text === undefined ? null : keptText(update.message.text),
              date: update.message.date,
            },
          ]
        : [
            update.callbackQuery.message?.message_id ?? 0,
            'callback_query',
            { data: update.callbackQuery.data ?? null, callbackQueryId: update.callbackQuery.id },
          ];
    await scope.manager.query(
      `INSERT INTO messages (conversation_id, message_id, message_type, direction, update_id, content)
       VALUES ($1, $2, $3, 'in', $4, $5)`,
      [scope.conversation.id, messageId, type, scope.updateId, content],
    );
  }

  /** A command with its arguments (`args`), or a button press with its data (`data`). */
  async command(
    scope: UpdateScope,
    command: string,
    parameters: { readonly args: string } | { readonly data: string },
    result: CommandResult,
    durationMs: number,
  ): Promise<void> {
    const kept =
      'args' in parameters ? { args: keptArguments(command, parameters.args) } : parameters;
    await scope.manager.query(
      `INSERT INTO user_commands (telegram_user_id, command, parameters, result, duration_ms, update_id)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        scope.conversation.telegramUserId,
        command.slice(0, 255),
        kept,
        result,
        durationMs,
        scope.updateId,
      ],
    );
  }
}
