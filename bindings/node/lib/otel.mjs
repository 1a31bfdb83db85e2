import otel from './otel.js';

export const observe = otel.observe;
export const PolicyMetrics = otel.PolicyMetrics;
export const metricName = otel.metricName;
