/** Guest programs whose behaviour is specific to hindsight (its exits, devices or SBI), checked in exits.test.ts. */
export const HINDSIGHT_ONLY = [
  'mmio-widths', 'dbcn', 'srst', 'inst-access-fault', 'wfi-idle', 'seed-csr',
  // The recorded bug scenarios (recordings/): their stories depend on hindsight's devices and exact timing.
  'scenario-uart-race', 'scenario-bad-fnptr', 'scenario-wrong-device-answer',
  'console-flood', 'mmio-loop',
  // The time-travel benchmark's long run (bench/timetravel.ts): 1.1e9 instructions, checked here over its start.
  'tt-long',
];
