/** Single-quotes a string for `sh`, so any bytes pass through as one word. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
