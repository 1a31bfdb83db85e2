import prometheus from './prometheus.js';

export const register = prometheus.register;
export const metricName = prometheus.metricName;
