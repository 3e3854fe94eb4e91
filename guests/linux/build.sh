#!/usr/bin/env bash
# Builds the Linux guest: guests/linux/Image (Debian's linux-source-6.1, configured by hindsight.config over
# tinyconfig), guests/linux/init (guests/linux/init.c, static, no libc) and guests/linux/initramfs.cpio.
#
#   bash guests/linux/build.sh            # everything (the kernel takes ~5 minutes on 2 cores)
#   bash guests/linux/build.sh initramfs  # only init and the initramfs (the kernel tree's usr/gen_init_cpio packs it)
#
# BUILD_DIR (default /tmp/hindsight-linux) holds the extracted kernel tree, built out of tree in obj-init (kernel.sh).
# Installs the Debian packages it needs when run as root.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/kernel.sh"
what="${1:-all}"
obj="$build/obj-init"

need_packages linux-source-6.1 gcc-riscv64-linux-gnu flex bison bc cpio make xz-utils
kernel_tree
if [ "$what" = all ]; then
  kernel_build "$obj" "$here/Image" "$here/hindsight.config"
fi

# The init: static, no libc, rv64imac (no F/D) with the soft-float ABI.
"${cross}gcc" -Os -static -nostdlib -ffreestanding -fno-stack-protector -fno-pic -march=rv64imac -mabi=lp64 \
  -Wall -Wextra -Werror -o "$build/init" "$here/init.c"
"${cross}strip" "$build/init"
cp "$build/init" "$here/init"
cpio_tool
# Fixed mtimes (gen_init_cpio takes the file's), so the same sources give the same bytes.
touch -d '2025-01-01 00:00:00 UTC' "$build/init" "$here/motd"
sed -e "s|@INIT@|$build/init|" -e "s|@MOTD@|$here/motd|" "$here/initramfs.list" > "$build/initramfs.list"
"$build/gen_init_cpio" -t 1735689600 "$build/initramfs.list" > "$here/initramfs.cpio"

gver="$(dpkg -s gcc-riscv64-linux-gnu | sed -n 's/^Version: //p')"
# The kernel's line changes only with the kernel.
kline="$(if [ "$what" = all ]; then echo "linux-source-6.1 $(kernel_version)"; else head -1 "$here/VERSIONS"; fi)"
{
  echo "$kline"
  echo "gcc-riscv64-linux-gnu $gver ($(${cross}gcc --version | head -1))"
} > "$here/VERSIONS"
ls -l "$here/Image" "$here/initramfs.cpio" "$here/init"
