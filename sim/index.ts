/** The simulator's public surface. Everything outside sim/ imports from here. */
export { SimError, type SimErrorCode } from './errors.js';
export * as layout from './layout.js';
