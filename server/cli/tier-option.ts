import { TIERS, type Tier, type TierOptions } from '../../sim/cpu/jit.js';
import { usageError } from './cli-error.js';
import { option } from './command.js';

/** --tier: which execution tiers run the guest. No tier changes what the guest does or what a journal holds. */
export const TIER_OPTION = option<Tier>(
  'NAME',
  `the execution tiers: auto (the interpreter, then hot code compiled to WebAssembly; the default),
interp (the interpreter only), jit (compile every block as it starts: slow, for testing the compiler)`,
  (text, spelled) => {
    if ((TIERS as readonly string[]).includes(text)) return text as Tier;
    throw usageError('CLI_BAD_VALUE', `${spelled} must be one of ${TIERS.join(', ')}, not '${text}'`);
  },
);

export function tierOptions(tier: Tier | undefined): TierOptions | undefined {
  return tier === undefined ? undefined : { tier };
}
