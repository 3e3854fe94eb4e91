/**
 * The guest-physical memory map. It matches QEMU's `virt` machine (hw/riscv/virt.c) so that one ELF runs on both
 * and the two can be diffed. RAM is the only memory the machine backs; every other address is MMIO.
 */
export const TEST_FINISHER_BASE = 0x0010_0000; // sifive,test
export const TEST_FINISHER_SIZE = 0x1000;
export const CLINT_BASE = 0x0200_0000; // not exposed to the guest (the hypervisor owns M-mode timers)
export const PLIC_BASE = 0x0c00_0000;
export const PLIC_SIZE = 0x0060_0000;
export const UART0_BASE = 0x1000_0000; // ns16550a
export const UART0_SIZE = 0x100;
export const UART0_IRQ = 10;
export const VIRTIO_MMIO_BASE = 0x1000_1000;
export const VIRTIO_MMIO_SIZE = 0x1000;
export const VIRTIO_MMIO_COUNT = 8;
export const VIRTIO_MMIO_IRQ_BASE = 1;
export const RAM_BASE = 0x8000_0000;
export const DEFAULT_RAM_SIZE = 128 * 1024 * 1024;
/** OpenSBI hands S-mode the kernel at this address; ELFs linked for QEMU virt + OpenSBI start here. */
export const KERNEL_LOAD_ADDR = 0x8020_0000;

/** Test finisher codes (as QEMU's sifive_test). */
export const FINISHER_PASS = 0x5555;
export const FINISHER_FAIL = 0x3333;
export const FINISHER_RESET = 0x7777;

/**
 * Virtual time: the timebase the device tree advertises (QEMU virt uses 10 MHz). The hart retires one
 * instruction per virtual nanosecond (a 1 GHz virtual clock), so `time` advances by one every 100 instructions.
 */
export const TIMEBASE_FREQUENCY = 10_000_000;
export const INSNS_PER_TIME_TICK = 100;
