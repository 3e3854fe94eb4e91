/** The client SDK's public surface. */
export { LocalVmm, runElf, LIVE_SLICE_INSNS, type VmmOptions, type RunResult, type RunEnd, type RunHost, type StopKind } from './local-vmm.js';
export { exitToJson } from './exit-json.js';
export { MmioBus, type MmioDevice } from './devices/bus.js';
export { TestFinisher } from './devices/test-finisher.js';
export { Uart16550 } from './devices/uart16550.js';
export { Plic } from './devices/plic.js';
export { PatternTestDevice, PATTERN_TEST_DEVICE_BASE } from './devices/test-device.js';
export type { IrqLine } from './devices/irq.js';
export { SbiConsole, type ConsoleIo, type GuestMemory } from './devices/sbi-console.js';
export { BuiltinDevices, Entropy, type DeviceHost } from './builtin-devices.js';
export { HindsightClient, type CreateVmOptions, type CreatedVm, type VmInfo } from './remote/http-client.js';
export { VmConnection, ProtocolError, type Welcome, type VmLink, type ConnectionEvents } from './remote/connection.js';
export { RemoteVmm, type RemoteVmmOptions, type ExitHandler } from './remote/remote-vmm.js';
export { Traveller, ReplaySession, type SeekTarget } from './remote/travel.js';
export {
  PROTOCOL_VERSION, CLOSE, MAX_TIMELINE_LIMIT, encodeMessage, decodeMessage,
  type TravelReply, type TimelineQuery, type Place, type TravelStop, type TimelineEntry, type CheckpointStats,
  type ClientMessage, type ServerMessage, type RequestBody, type ProtocolErrorCode, type Registers, type GuestCsr, type Role, type VmEnd, type VmState, type VmStatus, type VmSummary, type RecordingInfo,
} from './protocol.js';
