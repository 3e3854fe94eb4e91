/** The client SDK's public surface. */
export { LocalVmm, runElf, type VmmOptions, type RunResult, type RunEnd, type StopKind } from './local-vmm.js';
export { exitToJson } from './exit-json.js';
export { MmioBus, type MmioDevice } from './devices/bus.js';
export { TestFinisher } from './devices/test-finisher.js';
export { Uart16550 } from './devices/uart16550.js';
export { Plic } from './devices/plic.js';
export { PatternTestDevice, PATTERN_TEST_DEVICE_BASE } from './devices/test-device.js';
export type { IrqLine } from './devices/irq.js';
export { SbiConsole, type ConsoleIo, type GuestMemory } from './devices/sbi-console.js';
