/** The metrics folder's door: Prometheus metrics of the process. */
export { MetricsModule, type MetricsOptions } from './metrics.module.js';
export { MetricsRegistry } from './metrics-registry.js';
