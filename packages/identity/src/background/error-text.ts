/** An error as one line of text for a log or an error column: the message, at most 1,000 characters. */
export function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 1_000);
}
