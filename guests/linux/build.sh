#!/usr/bin/env bash
# Builds the Linux guest: guests/linux/Image (Debian's linux-source-6.1, configured by hindsight.config over
# tinyconfig), guests/linux/init (guests/linux/init.c, static, no libc) and guests/linux/initramfs.cpio.
#
#   bash guests/linux/build.sh            # everything (the kernel takes ~5 minutes on 2 cores)
#   bash guests/linux/build.sh initramfs  # only init and the initramfs (needs a configured kernel tree for
#                                         # usr/gen_init_cpio; builds one if missing)
#
# BUILD_DIR (default /tmp/hindsight-linux) holds the extracted kernel tree. Installs the Debian packages it needs
# when run as root.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${BUILD_DIR:-/tmp/hindsight-linux}"
what="${1:-all}"
cross=riscv64-linux-gnu-
packages=(linux-source-6.1 gcc-riscv64-linux-gnu flex bison bc cpio make xz-utils)

missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "build.sh: missing Debian packages: ${missing[*]}" >&2; exit 1; fi
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

src="$build/linux-source-6.1"
if [ ! -f "$src/Makefile" ]; then
  mkdir -p "$build"
  tar -C "$build" -xf /usr/src/linux-source-6.1.tar.xz
fi
kmake() { make -C "$src" ARCH=riscv CROSS_COMPILE="$cross" KBUILD_BUILD_TIMESTAMP='2025-01-01' \
  KBUILD_BUILD_USER=hindsight KBUILD_BUILD_HOST=hindsight "$@"; }

configure() {
  kmake tinyconfig >/dev/null
  (cd "$src" && ARCH=riscv CROSS_COMPILE="$cross" scripts/kconfig/merge_config.sh -m .config "$here/hindsight.config" >/dev/null)
  kmake olddefconfig >/dev/null
  # Every option the fragment sets must have stuck (a dependency missing would silently drop it).
  local bad=0
  while IFS= read -r line; do
    case "$line" in
      CONFIG_*=*) grep -qx "$line" "$src/.config" || { echo "build.sh: $line did not stick" >&2; bad=1; } ;;
      "# CONFIG_"*" is not set") n="${line#\# }"; n="${n%% *}"
        if grep -q "^$n=" "$src/.config"; then echo "build.sh: $n is set, the fragment unsets it" >&2; bad=1; fi ;;
    esac
  done < "$here/hindsight.config"
  [ "$bad" = 0 ]
}

if [ "$what" = all ] || [ ! -f "$src/.config" ]; then
  configure
fi
if [ "$what" = all ]; then
  kmake -j"$(nproc)" Image
  cp "$src/arch/riscv/boot/Image" "$here/Image"
fi

# The init: static, no libc, rv64imac (no F/D) with the soft-float ABI.
"${cross}gcc" -Os -static -nostdlib -ffreestanding -fno-stack-protector -fno-pic -march=rv64imac -mabi=lp64 \
  -Wall -Wextra -Werror -o "$build/init" "$here/init.c"
"${cross}strip" "$build/init"
cp "$build/init" "$here/init"
kmake usr/gen_init_cpio >/dev/null
# Fixed mtimes (gen_init_cpio takes the file's), so the same sources give the same bytes.
touch -d '2025-01-01 00:00:00 UTC' "$build/init" "$here/motd"
sed -e "s|@INIT@|$build/init|" -e "s|@MOTD@|$here/motd|" "$here/initramfs.list" > "$build/initramfs.list"
"$src/usr/gen_init_cpio" -t 1735689600 "$build/initramfs.list" > "$here/initramfs.cpio"

kver="$(dpkg -s linux-source-6.1 | sed -n 's/^Version: //p')"
gver="$(dpkg -s gcc-riscv64-linux-gnu | sed -n 's/^Version: //p')"
{
  echo "linux-source-6.1 $kver"
  echo "gcc-riscv64-linux-gnu $gver ($(${cross}gcc --version | head -1))"
} > "$here/VERSIONS"
ls -l "$here/Image" "$here/initramfs.cpio" "$here/init"
