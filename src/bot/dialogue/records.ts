import { Injectable } from '@nestjs/common';
import type { HandledUpdate } from '../updates/update-shape.js';
import type { CommandResult, UpdateScope } from './update-scope.js';

/**
 * The bot's records, written in the transaction that handles the update: every inbound
 * message (`messages`, direction in; outbound ones are recorded by the sender once
 * delivered) and every command (`user_commands`: name, arguments, result, duration).
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
            { text: update.message.text ?? null, date: update.message.date },
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

  async command(
    scope: UpdateScope,
    command: string,
    parameters: Record<string, unknown>,
    result: CommandResult,
    durationMs: number,
  ): Promise<void> {
    await scope.manager.query(
      `INSERT INTO user_commands (telegram_user_id, command, parameters, result, duration_ms, update_id)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        scope.conversation.telegramUserId,
        command.slice(0, 255),
        parameters,
        result,
        durationMs,
        scope.updateId,
      ],
    );
  }
}
