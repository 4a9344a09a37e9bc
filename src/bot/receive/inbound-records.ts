import { Injectable } from '@nestjs/common';
import { keptText } from '../understand/secret-arguments.js';
import type { HandledUpdate } from '../understand/update-shape.js';
import type { UpdateScope } from '../understand/update-scope.js';

/**
 * Every inbound message (`messages`, direction in), written in the transaction that handles
 * its update; outbound ones are recorded by the sender once delivered. A secret argument
 * (the link code of `/start CODE`) is stored masked.
 */
@Injectable()
export class InboundRecords {
  async record(scope: UpdateScope, update: HandledUpdate): Promise<void> {
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
}
