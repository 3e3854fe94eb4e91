/** Guest programs whose behaviour is specific to hindsight (its exits, devices or SBI), checked in exits.test.ts. */
export const HINDSIGHT_ONLY = ['mmio-widths', 'dbcn', 'srst', 'inst-access-fault', 'wfi-idle', 'seed-csr'];
