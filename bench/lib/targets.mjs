// The product's targets, each a ratio (or a size) judged from one run's rows: the table of
// `npm run bench` shows them per row, `npm run bench:check` fails on every gated one that
// does not hold. A run's rows are { id → { rps, p99, cpuPerRequest, … } } and its memory
// { server → RSS MB }, as bench/latest.json holds them.

export const RSS_LIMIT_MB = 250;

const rps = (row) => row.rps;
const cpu = (row) => row.cpuPerRequest;
const p99 = (row) => row.p99;

/** A ratio of one measure between two rows: `row` (the API's) against `peer`. */
function ratio(row, peer, measure, direction, limit, label, gate = true) {
  return {
    row,
    rows: [row, peer],
    direction,
    limit,
    label,
    gate,
    value: (rows) => measure(rows[row]) / measure(rows[peer]),
  };
}
const reqs = (row, peer, limit, label, gate) => ratio(row, peer, rps, 'min', limit, label, gate);

/**
 * `gate`: part of the product's target list (bench:check fails on it); the others are shown
 * beside their rows for reading only.
 */
export const TARGETS = [
  reqs('apiMe', 'nestFeatures', 1.0, 'same features in Nest'),
  ratio('apiMe', 'nestFeatures', cpu, 'max', 1.0, 'CPU/req, same features in Nest'),
  ratio('apiMe', 'nestFeatures', p99, 'max', 1.5, 'p99, same features in Nest'),
  reqs('apiMe', 'nestMe', 0.75, 'minimal Nest guard'),
  ratio('apiMe', 'nestMe', p99, 'max', 1.5, 'p99, minimal Nest guard'),
  reqs('apiMe', 'nodeRedis', 0.8, 'node:http + Redis GET'),
  reqs('apiMe', 'expressNoTouch', 1.5, 'express-session, disableTouch'),
  {
    row: 'apiMe',
    rows: ['apiMe'],
    memory: 'api',
    direction: 'max',
    limit: RSS_LIMIT_MB,
    label: 'RSS MB of the API after the run',
    gate: true,
    absolute: true,
    value: (rows, memory) => memory.api,
  },
  reqs('apiMiss', 'nodePg', 0.6, 'node:http + pg by key'),
  reqs('apiHealth', 'nestHealth', 0.85, 'bare Nest /health'),
  reqs('apiLogin', 'hash', 0.9, 'argon2id hashes/s'),
  // For reading: the touching express peer, and the bot's cost to the web rows.
  reqs('apiMe', 'express', 1.5, 'express-session, touching', false),
  reqs('apiMe', 'noBotMe', 0.9, 'API with the bot off', false),
  reqs('apiRate', 'noBotRate', 0.9, 'API with the bot off', false),
];

/**
 * Each target's outcome in a run: { target, value, holds } when its rows were measured,
 * { target, value: undefined } when not (a run of some targets only).
 */
export function judge(rows, memory) {
  return TARGETS.map((target) => {
    const measured =
      target.rows.every((id) => rows[id] !== undefined) &&
      (target.memory === undefined || memory[target.memory] !== undefined);
    if (!measured) return { target, value: undefined };
    const value = target.value(rows, memory);
    const holds = target.direction === 'min' ? value >= target.limit : value <= target.limit;
    return { target, value, holds };
  });
}

/** "≥ 0.90 × Nest guard: **0.93** ✓", or "RSS MB …: **218** ≤ 250 ✓" for a size. */
export function describe({ target, value, holds }) {
  const sign = target.direction === 'min' ? '≥' : '≤';
  const shown =
    value === undefined ? 'not measured' : `**${value.toFixed(target.absolute ? 0 : 2)}**`;
  const mark = value === undefined ? '' : holds ? ' ✓' : ' ✗';
  return target.absolute
    ? `${target.label} ${sign} ${target.limit}: ${shown}${mark}`
    : `${sign} ${target.limit.toFixed(2)} × ${target.label}: ${shown}${mark}`;
}
