/*
 * gdb-demo: the guest of "Debugging with gdb" (docs/gdb.md) and of the gdb
 * tests (server/gdb/gdb-*.test.ts).  Built with -Og (see the Makefile), so
 * that gdb's source-level stepping follows the source line by line.
 *
 * Three accounts pass money around through transfer(); the last transfer
 * takes carol below zero, and the audit at the end says so.  Which transfer
 * did it, and from where?  The worked example answers with a watchpoint and
 * reverse-continue.
 *
 * wait_for_debugger: a debugger that sets it makes main() spin in
 * wait_here() until it clears it again (the Ctrl-C example); left alone, the
 * program runs straight through and exits 0.
 */
#include "runtime.h"

struct account {
	const char *name;
	long balance;
};

struct account accounts[] = { { "alice", 100 }, { "bob", 50 }, { "carol", 10 } };
#define NACCOUNTS (sizeof accounts / sizeof accounts[0])

unsigned long transfers;
volatile int wait_for_debugger;
unsigned long spins;

__attribute__((noinline)) void transfer(struct account *from, struct account *to, long amount)
{
	from->balance -= amount;
	to->balance += amount;
	transfers++;
}

__attribute__((noinline)) void wait_here(void)
{
	while (wait_for_debugger)
		spins++;
}

__attribute__((noinline)) int audit(void)
{
	int negative = 0;
	for (unsigned i = 0; i < NACCOUNTS; i++) {
		printf("%s: %ld\n", accounts[i].name, accounts[i].balance);
		if (accounts[i].balance < 0)
			negative++;
	}
	return negative;
}

int main(void)
{
	puts("--- gdb-demo ---");
	transfer(&accounts[0], &accounts[1], 30);
	transfer(&accounts[1], &accounts[2], 20);
	transfer(&accounts[2], &accounts[0], 40);
	wait_here();
	int negative = audit();
	printf("%lu transfers, %d account(s) below zero\n", transfers, negative);
	return 0;
}
