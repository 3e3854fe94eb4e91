/** The service's public surface. */
export { startServer, type RunningServer } from './server.js';
export { DEFAULT_LIMITS, DEFAULT_SLICE_INSNS, type ServerLimits, type ServerOptions } from './config.js';
