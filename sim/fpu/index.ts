export { F32, F64, Flag, Rm } from './format.js';
export type { FloatFormat, FpResult } from './format.js';
export { FP_OPS, unbox } from './execute.js';
export type { FpOperands, FpOutcome } from './execute.js';
