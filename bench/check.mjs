// npm run bench:check: the product's targets (bench/lib/targets.mjs) judged on the latest run
// of `npm run bench` (bench/latest.json). Prints every target; exits 1 naming each one that
// fails or that the run did not measure (a BENCH_ONLY run, or rows that failed requests).
import { readFileSync } from 'node:fs';
import { LATEST } from './lib/report.mjs';
import { describe, judge } from './lib/targets.mjs';

let latest;
try {
  latest = JSON.parse(readFileSync(LATEST, 'utf8'));
} catch (error) {
  process.stderr.write(`No run to judge (${LATEST}): run \`npm run bench\` first.\n`);
  throw error;
}
const { rows, memory, date, apiNodeFlags } = latest;
process.stdout.write(`Run of ${date}, API as \`node ${apiNodeFlags.join(' ')} dist/main.js\`\n`);

const failedRows = Object.entries(rows).filter(([, row]) => row.failuresInRounds > 0);
const failing = [];
for (const outcome of judge(rows, memory)) {
  const { target, value, holds } = outcome;
  const broken = target.rows.filter((id) => failedRows.some(([failedId]) => failedId === id));
  const name = `${rows[target.row]?.name ?? target.row}: ${describe(outcome).replaceAll('**', '')}`;
  process.stdout.write(`${target.gate ? '' : '(for reading) '}${name}\n`);
  if (!target.gate) continue;
  if (value === undefined || !holds || broken.length > 0)
    failing.push(broken.length > 0 ? `${name} (requests failed in ${broken.join(', ')})` : name);
}
if (failing.length > 0) {
  process.stderr.write(
    `\n${failing.length} target(s) not met:\n${failing.map((name) => `- ${name}\n`).join('')}`,
  );
  process.exitCode = 1;
} else {
  process.stdout.write('\nEvery target met.\n');
}
