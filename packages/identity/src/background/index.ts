export { BackgroundJob } from './background-job.js';
export { type Backoff, backoffDelayMs } from './backoff.js';
export { purgeBatch, type QueueTable, retryLater, withClaimedRows } from './claimed-rows.js';
export { errorText } from './error-text.js';
export { PeriodicWork, type PeriodicWorkOptions } from './periodic-work.js';
export { ThrottledWarning } from './throttled-warning.js';
