/** Commands whose arguments are secrets: `/start CODE` carries a link code. */
const SECRET_ARGUMENT_COMMANDS: ReadonlySet<string> = new Set(['start']);
/** What is stored and logged in place of a secret argument. */
export const MASK = '****';
/** `/command` or `/command@bot`, then its arguments. */
const COMMAND_WITH_ARGUMENTS = /^(\/([A-Za-z0-9_]+)(?:@[A-Za-z0-9_]+)?)\s+\S[\s\S]*$/;

/** The arguments of `command` as they may be kept: `****` when they are secret. */
export function keptArguments(command: string, args: string): string {
  return args !== '' && SECRET_ARGUMENT_COMMANDS.has(command.toLowerCase()) ? MASK : args;
}

/** A message text as it may be kept: `/start CODE` becomes `/start ****`; any other is unchanged. */
export function keptText(text: string): string {
  const match = COMMAND_WITH_ARGUMENTS.exec(text);
  if (match === null) return text;
  const [, command = '', name = ''] = match;
  return SECRET_ARGUMENT_COMMANDS.has(name.toLowerCase()) ? `${command} ${MASK}` : text;
}

/**
 * An update as it may be kept once handled: every string in it that is a command with
 * secret arguments (the message's text, a quoted message, an edited one…) masked.
 */
export function keptPayload(value: unknown): unknown {
  if (typeof value === 'string') return keptText(value);
  if (Array.isArray(value)) return value.map(keptPayload);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [key, keptPayload(child)]),
    );
  }
  return value;
}
