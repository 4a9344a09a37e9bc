import type { FastifyInstance } from 'fastify';
import type { Histogram } from 'prom-client';
import type { MetricsRegistry } from './metrics-registry.js';

type Labels = 'method' | 'route' | 'status';

/**
 * HTTP durations by method, route pattern and status. Cheap on the request path: one
 * onResponse hook, the labelled child looked up in a map (prom-client would hash the labels
 * on every call), Fastify's own elapsed time.
 */
export function recordHttpDurations(fastify: FastifyInstance, registry: MetricsRegistry): void {
  const durations: Histogram<Labels> = registry.histogram(
    'http_request_duration_seconds',
    'HTTP request duration by method, route pattern and status',
    ['method', 'route', 'status'],
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  const children = new Map<string, Histogram.Internal<Labels>>();
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let child = children.get(key);
    if (child === undefined) {
      child = durations.labels(request.method, route, String(reply.statusCode));
      children.set(key, child);
    }
    child.observe(reply.elapsedTime / 1_000);
    done();
  });
}
