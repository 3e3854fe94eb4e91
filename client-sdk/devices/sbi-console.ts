/**
 * The SBI console on the userspace side: legacy putchar/getchar (extensions 0x01/0x02) and the Debug Console
 * extension (DBCN: write, read, write_byte), which KVM forwards to userspace as KVM_EXIT_RISCV_SBI.
 */
export const SBI_EXT_DBCN = 0x4442434e;
export const SBI_LEGACY_PUTCHAR = 0x01;
export const SBI_LEGACY_GETCHAR = 0x02;
const SBI_ERR_NOT_SUPPORTED = -2n, SBI_ERR_INVALID_PARAM = -3n;

/** Guest-physical memory access, as a VMM has it (DBCN passes physical addresses). */
export interface GuestMemory {
  readPhys(addr: number, len: number): Uint8Array | null;
  writePhys(addr: number, data: Uint8Array): boolean;
}

export interface ConsoleIo {
  write(bytes: Uint8Array): void;
  /** A byte of input, or -1 when none is available. */
  readByte(): number;
}

export class SbiConsole {
  private readonly io: ConsoleIo;
  private readonly memory: GuestMemory;

  constructor(io: ConsoleIo, memory: GuestMemory) {
    this.io = io;
    this.memory = memory;
  }

  handles(extensionId: number): boolean {
    return extensionId === SBI_LEGACY_PUTCHAR || extensionId === SBI_LEGACY_GETCHAR || extensionId === SBI_EXT_DBCN;
  }

  /** Performs the call and returns [a0, a1] for the SBI return. */
  call(extensionId: number, functionId: number, args: readonly bigint[]): [bigint, bigint] {
    // Missing arguments read as zero (a remote client may send fewer than the six registers).
    const arg = (i: number): bigint => BigInt.asUintN(64, args[i] ?? 0n);
    if (extensionId === SBI_LEGACY_PUTCHAR) {
      this.io.write(Uint8Array.of(Number(arg(0) & 0xffn)));
      return [0n, 0n];
    }
    if (extensionId === SBI_LEGACY_GETCHAR) return [BigInt(this.io.readByte()), 0n];
    const count = arg(0);
    const addr = arg(1) + (arg(2) << 32n);
    switch (functionId) {
      case 0: { // write(num_bytes, base_lo, base_hi)
        const bytes = this.readGuest(addr, count);
        if (bytes === null) return [SBI_ERR_INVALID_PARAM, 0n];
        this.io.write(bytes);
        return [0n, BigInt(bytes.length)];
      }
      case 1: { // read(num_bytes, base_lo, base_hi)
        const out: number[] = [];
        while (BigInt(out.length) < count) {
          const b = this.io.readByte();
          if (b < 0) break;
          out.push(b);
        }
        if (addr > BigInt(Number.MAX_SAFE_INTEGER) || !this.memory.writePhys(Number(addr), Uint8Array.from(out))) {
          return [SBI_ERR_INVALID_PARAM, 0n];
        }
        return [0n, BigInt(out.length)];
      }
      case 2: // write_byte(byte)
        this.io.write(Uint8Array.of(Number(arg(0) & 0xffn)));
        return [0n, 0n];
      default:
        return [SBI_ERR_NOT_SUPPORTED, 0n];
    }
  }

  private readGuest(addr: bigint, count: bigint): Uint8Array | null {
    if (addr > BigInt(Number.MAX_SAFE_INTEGER) || count > 1n << 20n) return null;
    return this.memory.readPhys(Number(addr), Number(count));
  }
}
