/*
 * scenario-bad-fnptr: a command dispatcher calls through a function pointer
 * that is not one.
 *
 * Commands are (opcode, argument) pairs, handled through a table of function
 * pointers indexed by the opcode.  The table sits in a driver struct, and
 * right after it comes the base address of the device the driver will talk
 * to (virtio-mmio slot 0, 0x10001000).
 *
 * The bounds check in dispatch() is off by one: it rejects cmd > NUM_CMDS
 * where it should reject cmd >= NUM_CMDS.  The command script ends with
 * opcode 4, a command from a newer protocol version this firmware does not
 * know.  It passes the check, and dispatch() loads handler[4], which is
 * dev_base, and calls 0x10001000.  That is MMIO, not memory, so fetching an
 * instruction there is an instruction access fault: scause 1, with stval =
 * sepc = 0x10001000.  hindsight redirects it to the guest, whose trap
 * handler prints a crash report and exits with code 2.  ra still holds the
 * return address of the call in dispatch().
 *
 * Before that, five good commands run, so a replay has history to step back
 * through: set, add, mul, print, add.
 *
 * On QEMU 7.2 the jump does not fault at 0x10001000: QEMU executes from MMIO,
 * runs into the virtio magic and reports an illegal instruction (scause 2)
 * at 0x10001002.  The crash report and the exit code are the same.
 *
 * Exit codes: 2 the crash; 0 if every command ran (it does not).
 */
#include "runtime.h"

enum { CMD_SET, CMD_ADD, CMD_MUL, CMD_PRINT, NUM_CMDS };

static const char *const cmd_names[NUM_CMDS] = { "set", "add", "mul",
						  "print" };

typedef void (*cmd_fn)(long arg);

static long acc;

static void cmd_set(long arg)
{
	acc = arg;
}

static void cmd_add(long arg)
{
	acc += arg;
}

static void cmd_mul(long arg)
{
	acc *= arg;
}

static void cmd_print(long arg)
{
	(void)arg;
	printf("  acc = %ld\n", acc);
}

/* The driver: its command table, then its device's MMIO base. */
struct driver {
	cmd_fn handler[NUM_CMDS];
	unsigned long dev_base;
};

struct driver drv = {
	.handler = { cmd_set, cmd_add, cmd_mul, cmd_print },
	.dev_base = 0x10001000UL,
};

static const struct {
	unsigned char cmd;
	long arg;
} script[] = {
	{ CMD_SET, 6 }, { CMD_ADD, 1 }, { CMD_MUL, 6 }, { CMD_PRINT, 0 },
	{ CMD_ADD, -0x2a }, { 4 /* "reset", protocol v2 */, 0 },
	{ CMD_PRINT, 0 },
};

static unsigned long dispatched;

__attribute__((noinline)) void dispatch(unsigned cmd, long arg)
{
	printf("dispatch: cmd %u (%s) arg %ld\n", cmd,
	       cmd < NUM_CMDS ? cmd_names[cmd] : "unknown", arg);
	if (cmd > NUM_CMDS) { /* BUG: must be cmd >= NUM_CMDS */
		printf("dispatch: cmd %u rejected\n", cmd);
		return;
	}
	drv.handler[cmd](arg);
	dispatched++;
}

static const char *cause_name(unsigned long scause)
{
	switch (scause) {
	case CAUSE_FETCH_ACCESS:
		return "instruction access fault";
	case CAUSE_ILLEGAL_INSTRUCTION:
		return "illegal instruction";
	case CAUSE_LOAD_ACCESS:
		return "load access fault";
	case CAUSE_STORE_ACCESS:
		return "store access fault";
	default:
		return "?";
	}
}

/* Any trap here is a crash: report it and stop. */
void handle_trap(struct trap_frame *f)
{
	printf("*** crash: %s ***\n", cause_name(f->scause));
	printf("  scause = 0x%lx\n", f->scause);
	printf("  stval  = 0x%lx\n", f->stval);
	printf("  sepc   = 0x%lx\n", f->sepc);
	/* ra: where the bad call would have returned, i.e. the call site. */
	printf("  ra     = 0x%lx (dispatch+0x%lx)\n", f->regs[1],
	       f->regs[1] - (unsigned long)dispatch);
	printf("after %lu good command(s)\n", dispatched);
	exit(2);
}

int main(void)
{
	puts("--- scenario-bad-fnptr ---");
	for (unsigned i = 0; i < sizeof script / sizeof script[0]; i++)
		dispatch(script[i].cmd, script[i].arg);
	printf("scenario-bad-fnptr: %lu commands done\n", dispatched);
	return 0;
}
