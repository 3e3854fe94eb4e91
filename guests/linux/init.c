/*
 * The Linux guest's /init: a static program with no libc (raw riscv64 syscalls) that proves userspace works on
 * the machine, then powers it off. It prints a banner, reads the clock, sleeps on the timer, grows the heap and
 * maps anonymous memory, reads a file from the initramfs, forks and reaps a child, reads one line from the
 * console, and powers off (reboot(2) -> the kernel's SBI SRST call -> a SYSTEM_EVENT exit).
 *
 * Every check prints "ok" or "FAILED"; a failure still powers off, after "init: FAILED" so tests see it.
 */
typedef unsigned long u64;
typedef long i64;

enum {
	SYS_openat = 56, SYS_close = 57, SYS_read = 63, SYS_write = 64, SYS_exit = 93, SYS_nanosleep = 101,
	SYS_clock_gettime = 113, SYS_reboot = 142, SYS_uname = 160, SYS_getpid = 172, SYS_brk = 214,
	SYS_munmap = 215, SYS_clone = 220, SYS_mmap = 222, SYS_wait4 = 260,
};
#define AT_FDCWD (-100)
#define CLOCK_MONOTONIC 1
#define SIGCHLD 17
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_PRIVATE 2
#define MAP_ANONYMOUS 0x20
#define LINUX_REBOOT_MAGIC1 0xfee1dead
#define LINUX_REBOOT_MAGIC2 672274793
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedc

static i64 syscall6(i64 n, i64 a, i64 b, i64 c, i64 d, i64 e, i64 f)
{
	register i64 a7 __asm__("a7") = n;
	register i64 a0 __asm__("a0") = a;
	register i64 a1 __asm__("a1") = b;
	register i64 a2 __asm__("a2") = c;
	register i64 a3 __asm__("a3") = d;
	register i64 a4 __asm__("a4") = e;
	register i64 a5 __asm__("a5") = f;
	__asm__ volatile("ecall" : "+r"(a0) : "r"(a7), "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a5) : "memory");
	return a0;
}
#define sys3(n, a, b, c) syscall6((n), (i64)(a), (i64)(b), (i64)(c), 0, 0, 0)

struct timespec { i64 tv_sec; i64 tv_nsec; };
struct utsname { char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65]; };

static u64 slen(const char *s) { u64 n = 0; while (s[n]) n++; return n; }
static void put(const char *s) { sys3(SYS_write, 1, s, slen(s)); }
static void putn(const char *s, u64 n) { sys3(SYS_write, 1, s, n); }

static void putu(u64 v)
{
	char buf[24];
	int i = sizeof buf;
	do { buf[--i] = (char)('0' + v % 10); v /= 10; } while (v);
	putn(buf + i, sizeof buf - i);
}

static int failures;

static void check(const char *what, int ok)
{
	put("init: "); put(what); put(ok ? ": ok\n" : ": FAILED\n");
	if (!ok) failures++;
}

static i64 now_ns(void)
{
	struct timespec ts = { 0, 0 };
	if (sys3(SYS_clock_gettime, CLOCK_MONOTONIC, &ts, 0) != 0) return -1;
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void power_off(void)
{
	syscall6(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF, 0, 0, 0);
	put("init: FAILED: reboot(POWER_OFF) returned\n");
	for (;;) syscall6(SYS_exit, 1, 0, 0, 0, 0, 0);
}

static void test_clock(void)
{
	i64 t0 = now_ns();
	struct timespec nap = { 0, 20 * 1000 * 1000 };
	i64 r = sys3(SYS_nanosleep, &nap, 0, 0);
	i64 t1 = now_ns();
	put("init: monotonic clock "); putu((u64)t0 / 1000); put(" us, after a 20 ms sleep ");
	putu((u64)t1 / 1000); put(" us\n");
	check("clock_gettime and nanosleep (the timer interrupt)", t0 > 0 && r == 0 && t1 - t0 >= 20 * 1000 * 1000);
}

static void test_memory(void)
{
	u64 base = (u64)sys3(SYS_brk, 0, 0, 0);
	u64 top = (u64)sys3(SYS_brk, base + 256 * 1024, 0, 0);
	int ok = top == base + 256 * 1024;
	if (ok) {
		unsigned char *p = (unsigned char *)base;
		u64 sum = 0;
		for (u64 i = 0; i < 256 * 1024; i++) p[i] = (unsigned char)(i * 7);
		for (u64 i = 0; i < 256 * 1024; i++) sum += p[i];
		ok = sum == 256 * 1024 / 256 * (255 * 256 / 2);
	}
	check("brk: 256 KiB of heap written and read back", ok);

	u64 len = 4 * 1024 * 1024;
	i64 m = syscall6(SYS_mmap, 0, (i64)len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok = m > 0;
	if (ok) {
		volatile u64 *q = (volatile u64 *)m;
		for (u64 off = 0; off < len / 8; off += 512) q[off] = off;
		for (u64 off = 0; off < len / 8 && ok; off += 512) ok = q[off] == off;
		ok = ok && sys3(SYS_munmap, m, len, 0) == 0;
	}
	check("mmap: 4 MiB anonymous, one word per page, munmap", ok);
}

static void test_file(void)
{
	char buf[128];
	i64 fd = syscall6(SYS_openat, AT_FDCWD, (i64)"/etc/motd", 0, 0, 0, 0);
	i64 n = fd >= 0 ? sys3(SYS_read, fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0) sys3(SYS_close, fd, 0, 0);
	if (n > 0) { put("init: /etc/motd: "); putn(buf, (u64)n); }
	check("open and read /etc/motd from the initramfs", n > 0 && buf[0] == 'T');
}

static void test_fork(void)
{
	i64 parent = sys3(SYS_getpid, 0, 0, 0);
	i64 pid = syscall6(SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);
	if (pid == 0) {
		put("init: child: pid "); putu((u64)sys3(SYS_getpid, 0, 0, 0)); put(", exiting with 42\n");
		syscall6(SYS_exit, 42, 0, 0, 0, 0, 0);
	}
	int status = 0;
	i64 reaped = pid > 0 ? syscall6(SYS_wait4, pid, (i64)&status, 0, 0, 0, 0) : -1;
	check("fork a child and reap its exit status", parent == 1 && pid > 1 && reaped == pid && (status & 0x7f) == 0 &&
		((status >> 8) & 0xff) == 42);
}

static void test_console_line(void)
{
	char line[128];
	u64 n = 0;
	put("init: type a line: ");
	while (n < sizeof line - 1) {
		i64 r = sys3(SYS_read, 0, line + n, 1);
		if (r <= 0) break;
		if (line[n] == '\n' || line[n] == '\r') break;
		n++;
	}
	put("init: read from the console: \""); putn(line, n); put("\"\n");
	check("read a line from the console", n > 0);
}

void _start_c(void)
{
	struct utsname u;
	put("\n*** hindsight init: userspace is up ***\n");
	if (sys3(SYS_uname, &u, 0, 0) == 0) {
		put("init: "); put(u.sysname); put(" "); put(u.release); put(" "); put(u.machine); put("\n");
	}
	test_clock();
	test_memory();
	test_file();
	test_fork();
	test_console_line();
	if (failures) put("init: FAILED\n");
	else put("init: all checks passed, powering off\n");
	power_off();
}

/* The kernel enters with sp at argc; the stack is 16-byte aligned. */
/* No libc sets up gp: do it here, before any code the linker may have relaxed to gp-relative addressing. */
__asm__(".globl _start\n_start:\n\t.option push\n\t.option norelax\n\tla gp, __global_pointer$\n\t.option pop\n"
	"\tandi sp, sp, -16\n\tcall _start_c\n");
