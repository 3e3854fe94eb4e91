#!/usr/bin/env bash
# Run a guest ELF on QEMU virt (OpenSBI as firmware, the ELF as its S-mode
# payload) and print only the guest's console output, with the "\r" that
# OpenSBI adds before each "\n" removed.  Exits with QEMU's status: 0 when the
# guest wrote "pass" to the test finisher, the guest's code when it wrote
# "fail", 124 on timeout.
#
#   guests/run-qemu.sh <elf> [timeout-seconds]      (default 60)
#   QEMU_EXTRA="-icount shift=0" guests/run-qemu.sh ...   extra QEMU options
#   QEMU_STDIN=input.txt guests/run-qemu.sh ...   feed a file to the console
#
# By default the console's input is /dev/null.  With QEMU_STDIN=<file>, the
# file is fed to QEMU's stdin (the UART's receive side) after a delay of
# QEMU_STDIN_DELAY seconds (default 1): OpenSBI resets the UART's FIFO and
# reads RBR once while it boots, which would eat input that came earlier.
set -u

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 <elf> [timeout-seconds]" >&2
	exit 2
fi
elf=$1
secs=${2:-60}
if [ ! -f "$elf" ]; then
	echo "$0: no such file: $elf" >&2
	exit 2
fi

if [ -n "${QEMU_STDIN:-}" ]; then
	if [ ! -f "$QEMU_STDIN" ]; then
		echo "$0: QEMU_STDIN: no such file: $QEMU_STDIN" >&2
		exit 2
	fi
	# Process substitution keeps QEMU first in the pipeline (PIPESTATUS[0]).
	exec 3< <({ sleep "${QEMU_STDIN_DELAY:-1}"; cat "$QEMU_STDIN"; } 2>/dev/null)
else
	exec 3</dev/null
fi

# OpenSBI (v1.1 here) ends its boot banner with the "Boot HART MEDELEG" line;
# everything after it is the payload's.  If a different OpenSBI never prints
# that line, show everything rather than nothing.
# shellcheck disable=SC2086
timeout "$secs" qemu-system-riscv64 -machine virt -nographic -bios default \
	-m 128M -monitor none ${QEMU_EXTRA:-} -kernel "$elf" <&3 3<&- |
	tr -d '\r' |
	awk '
		seen { print; fflush(); next }
		/^Boot HART MEDELEG/ { seen = 1; held = ""; next }
		{ held = held $0 "\n" }
		END { if (!seen) printf "%s", held }
	'
status=${PIPESTATUS[0]}
if [ "$status" = 124 ]; then
	echo "$0: timed out after ${secs}s" >&2
fi
exit "$status"
