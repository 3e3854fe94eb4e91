/**
 * Every error the simulator raises on bad input carries a stable code, so callers (the CLI, the server, tests)
 * can branch on it and users can search for it. Guest traps are never errors: they are values (see cpu/trap.ts).
 */
export type SimErrorCode =
  | 'ELF_TOO_SHORT'
  | 'ELF_BAD_MAGIC'
  | 'ELF_BAD_CLASS'
  | 'ELF_BAD_ENDIAN'
  | 'ELF_BAD_MACHINE'
  | 'ELF_BAD_TYPE'
  | 'ELF_BAD_PHDR'
  | 'ELF_SEGMENT_OUTSIDE_RAM'
  | 'ELF_NO_LOAD_SEGMENTS'
  | 'FDT_BAD_NODE'
  | 'CONFIG_INVALID'
  | 'RAM_OUT_OF_RANGE'
  | 'VCPU_BAD_STATE'
  | 'JOURNAL_BAD_MAGIC'
  | 'JOURNAL_BAD_VERSION'
  | 'JOURNAL_TRUNCATED'
  | 'JOURNAL_CORRUPT'
  /** A record whose frame and checksum are sound but whose content is not a valid record (wrong type, out of range, out of order). */
  | 'JOURNAL_BAD_RECORD'
  /** A header whose frame is sound but whose content is not a valid header. */
  | 'JOURNAL_BAD_HEADER'
  | 'JOURNAL_IMAGE_MISMATCH'
  | 'JOURNAL_CONFIG_MISMATCH'
  | 'JOURNAL_CLOSED'
  | 'ELF_BAD_VERSION'
  | 'ELF_BAD_SHDR'
  | 'ELF_ADDRESS_TOO_LARGE'
  | 'FDT_BAD_PROPERTY'
  | 'FDT_BAD_BLOB'
  | 'TT_NO_SUCH_EXIT'
  | 'TT_BAD_TARGET'
  | 'TT_DIVERGED'
  /** A time-travel request that needs the recorded run, while the traveller is in a diversion. */
  | 'TT_DIVERTED'
  /** A write to the guest (or an undivert) outside a diversion: the recorded run cannot be changed. */
  | 'TT_NOT_DIVERTED'
  | 'IMAGE_BAD_HEADER'
  | 'IMAGE_TOO_LARGE'
  | 'INITRD_TOO_LARGE';

export class SimError extends Error {
  readonly code: SimErrorCode;
  constructor(code: SimErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'SimError';
    this.code = code;
  }
}
