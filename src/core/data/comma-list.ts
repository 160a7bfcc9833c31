// A list the user types as text, "a, 1, yes": the values that mean a label (the field mappers), the
// rules to turn on (the CLI's --rules). One reading for all, so a stray comma or space means the same
// everywhere.

/** The comma-separated values of `text`, trimmed, empty ones left out. */
export function commaList(text: string): string[] {
  return text
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value !== '');
}
