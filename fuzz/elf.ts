/** A minimal ELF64 RISC-V executable: one PT_LOAD segment of the given bytes at `paddr`, entered at its start. */
export function buildElf(code: Uint8Array, paddr = 0x8020_0000, memsz = code.length): Uint8Array {
  const EHDR = 64, PHDR = 56;
  const out = new Uint8Array(EHDR + PHDR + code.length);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0); // magic, ELFCLASS64, little-endian, version 1, SysV
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 243, true); // EM_RISCV
  v.setUint32(20, 1, true); // EV_CURRENT
  v.setBigUint64(24, BigInt(paddr), true); // e_entry
  v.setBigUint64(32, BigInt(EHDR), true); // e_phoff
  v.setBigUint64(40, 0n, true); // e_shoff
  v.setUint32(48, 0x5, true); // e_flags: RVC, double-float ABI bit off
  v.setUint16(52, EHDR, true);
  v.setUint16(54, PHDR, true);
  v.setUint16(56, 1, true); // e_phnum
  v.setUint16(58, 64, true);
  const p = EHDR;
  v.setUint32(p, 1, true); // PT_LOAD
  v.setUint32(p + 4, 7, true); // RWX
  v.setBigUint64(p + 8, BigInt(EHDR + PHDR), true); // p_offset
  v.setBigUint64(p + 16, BigInt(paddr), true); // p_vaddr
  v.setBigUint64(p + 24, BigInt(paddr), true); // p_paddr
  v.setBigUint64(p + 32, BigInt(code.length), true); // p_filesz
  v.setBigUint64(p + 40, BigInt(memsz), true); // p_memsz
  v.setBigUint64(p + 48, 0x1000n, true); // p_align
  out.set(code, EHDR + PHDR);
  return out;
}
