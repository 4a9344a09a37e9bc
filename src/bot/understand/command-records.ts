import { Injectable } from '@nestjs/common';
import { keptArguments } from './secret-arguments.js';
import type { CommandResult, UpdateScope } from './update-scope.js';

/**
 * Every command and button press (`user_commands`: name, arguments, result, duration),
 * written in the transaction that handles its update. Secret arguments (the link code of
 * `/start CODE`) are stored masked.
 */
@Injectable()
export class CommandRecords {
  /** A command with its arguments (`args`), or a button press with its data (`data`). */
  async record(
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
