/** The GDB remote serial protocol stub (docs/gdb.md): its engine, its target interface and the VM adapters. */
export { GdbStub, PACKET_SIZE, type StubEnd, type StubOptions } from './stub.js';
export { GdbServer } from './gdb-server.js';
export type { GdbTarget, StopReason, ResumeAction, TargetCapabilities } from './target.js';
export { ReplayTarget } from './replay-target.js';
export { LiveTarget, type LiveTargetOptions } from './live-target.js';
export { bridgeToGdb, replayUnderGdb, runUnderGdb, type GdbPort, type LiveMachine, type LiveSessionEnd } from './sessions.js';
