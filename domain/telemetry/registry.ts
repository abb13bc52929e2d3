import { Registry } from 'prom-client';

/**
 * The process's metrics: the API's and the worker's each serve theirs at /metrics (metrics-server.ts).
 * Metric modules register here when first imported, so a process exposes what it actually uses.
 */
export const metricsRegistry = new Registry();
