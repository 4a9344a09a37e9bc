import { stringify, type Stringifier } from 'csv-stringify';

/**
 * RFC 4180 CSV (CRLF line ends, fields quoted when they hold a comma, quote or line break,
 * quotes doubled) with a header row. Cells that a spreadsheet would run as a formula
 * (starting with = + - @, a tab or a carriage return) are neutralised with a leading `'`.
 * Dates are ISO 8601, empty values empty fields.
 */
export function csvOf(columns: readonly string[]): Stringifier {
  return stringify({
    header: true,
    columns: [...columns],
    record_delimiter: 'windows',
    escape_formulas: true,
    cast: {
      date: (value) => value.toISOString(),
      boolean: (value) => (value ? 'true' : 'false'),
      object: (value) => JSON.stringify(value),
    },
  });
}
