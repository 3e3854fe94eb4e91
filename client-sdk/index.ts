/** The client SDK's public surface. */
export { runElf, type RunOptions, type RunResult, type StopKind } from './local-runner.js';
export { MmioBus, type MmioDevice } from './devices/bus.js';
export { TestFinisher } from './devices/test-finisher.js';
export { SbiConsole, type ConsoleIo, type GuestMemory } from './devices/sbi-console.js';
