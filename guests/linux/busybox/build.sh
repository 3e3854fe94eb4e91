#!/usr/bin/env bash
# Builds the busybox guest beside the init guest: guests/linux/busybox/Image (Debian's linux-source-6.1 with the
# FPU, ../hindsight.config + kernel.config over tinyconfig) and guests/linux/busybox/initramfs.cpio: Debian's
# busybox built from its Debian source package with Debian's flavour "deb" configuration, fpmath.c, and the
# riscv64 glibc they link against (Debian's libc6-riscv64-cross), under /init (the `init` script beside this one).
#
#   bash guests/linux/busybox/build.sh            # everything (the kernel ~5-10 minutes on 2 cores, busybox ~3)
#   bash guests/linux/busybox/build.sh initramfs  # busybox, fpmath and the initramfs, not the kernel
#
# BUILD_DIR (default /tmp/hindsight-linux) holds the kernel tree, the busybox source and a private apt state.
# Installs the Debian packages it needs when run as root. The same sources and packages give the same bytes.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../kernel.sh"
what="${1:-all}"

need_packages linux-source-6.1 gcc-riscv64-linux-gnu libc6-dev-riscv64-cross dpkg-dev flex bison bc cpio make \
  xz-utils bzip2

# The busybox source package. apt-get source needs deb-src entries: they are derived from this machine's own apt
# sources (the same URIs and suites, Types deb-src) into a private apt configuration under $build, so the system's
# sources and package lists are left as they are.
busybox_source() {
  local apt="$build/apt" f
  rm -rf "$apt/etc" && mkdir -p "$apt/etc/sources.list.d" "$apt/lists/partial" "$apt/archives/partial"
  : > "$apt/etc/sources.list"
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && sed -E 's/^Types:.*/Types: deb-src/' "$f" > "$apt/etc/sources.list.d/$(basename "$f")"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && sed -nE 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >> "$apt/etc/sources.list"
  done
  local opts=(-o "Dir::Etc::SourceList=$apt/etc/sources.list" -o "Dir::Etc::SourceParts=$apt/etc/sources.list.d"
    -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache::Archives=$apt/archives" -o Dir::Cache::pkgcache=
    -o Dir::Cache::srcpkgcache= -o APT::Sandbox::User="$(id -un)")
  apt-get "${opts[@]}" -q update >/dev/null
  rm -rf "$build/busybox-src" && mkdir -p "$build/busybox-src"
  (cd "$build/busybox-src" && apt-get "${opts[@]}" -q source busybox >/dev/null)
}

# Debian's own recipe (debian/rules, flavour "deb"): debian/config/pkg/deb through oldconfig, then `make all`
# with Debian's version in the banner and the riscv64 build flags dpkg-buildflags gives (without -O2: busybox
# picks -Os itself). Stripped as dh_strip would.
busybox_build() {
  local dir
  dir="$(find "$build/busybox-src" -mindepth 1 -maxdepth 1 -type d -name 'busybox-*')"
  local version epoch
  version="$(cd "$dir" && dpkg-parsechangelog -SVersion)"
  epoch="$(cd "$dir" && dpkg-parsechangelog -STimestamp)"
  export SOURCE_DATE_EPOCH="$epoch" KCONFIG_NOTIMESTAMP=1 DEB_HOST_ARCH=riscv64
  local cflags ldflags cppflags
  cflags="$(cd "$dir" && dpkg-buildflags --get CFLAGS | sed 's/ *-O2//')"
  ldflags="$(cd "$dir" && dpkg-buildflags --get LDFLAGS)"
  cppflags="$(cd "$dir" && dpkg-buildflags --get CPPFLAGS)"
  cat "$dir/debian/config/os/linux" "$dir/debian/config/pkg/deb" > "$dir/.config"
  { yes "" || true; } | make -C "$dir" CROSS_COMPILE="$cross" oldconfig >/dev/null
  diff -u "$dir/debian/config/pkg/deb" "$dir/.config" >/dev/null || { echo "build: Debian's busybox config changed under oldconfig" >&2; return 1; }
  make -C "$dir" -j"$(nproc)" CROSS_COMPILE="$cross" SKIP_STRIP=y BB_EXTRA_VERSION="Debian $version" \
    CONFIG_EXTRA_CFLAGS="$cflags $cppflags" CONFIG_EXTRA_LDFLAGS="$cflags $ldflags" all >/dev/null
  make -C "$dir" CROSS_COMPILE="$cross" busybox.links >/dev/null
  "${cross}strip" --remove-section=.comment --remove-section=.note -o "$build/busybox" "$dir/busybox"
  cp "$dir/busybox.links" "$build/busybox.links"
  echo "busybox $version (Debian source package, flavour deb)" > "$build/busybox.version"
  unset SOURCE_DATE_EPOCH KCONFIG_NOTIMESTAMP DEB_HOST_ARCH
}

# Our own dynamically linked glibc program (libm, printf, fenv).
fpmath_build() {
  "${cross}gcc" -O2 -Wall -Wextra -Werror -ffile-prefix-map="$here"=. -o "$build/fpmath" "$here/fpmath.c" -lm
  "${cross}strip" "$build/fpmath"
}

# The cpio list (for the kernel tree's usr/gen_init_cpio): directories, the files, one symlink per busybox applet,
# sorted so that the archive does not depend on the order anything was found in. Everything gets the same mtime.
initramfs() {
  local root="$build/initramfs" libs=/usr/riscv64-linux-gnu/lib stamp=1735689600 list="$build/initramfs.list"
  rm -rf "$root" && mkdir -p "$root"
  cp "$build/busybox" "$build/fpmath" "$here/init" "$here/motd" "$here/passwd" "$here/group" "$root/"
  local lib
  for lib in ld-linux-riscv64-lp64d.so.1 libc.so.6 libm.so.6 libresolv.so.2; do cp "$libs/$lib" "$root/$lib"; done
  touch -d "@$stamp" "$root"/*
  {
    echo "nod /dev/console 0600 0 0 c 5 1"
    for d in bin dev etc lib lib/riscv64-linux-gnu proc root sbin sys usr usr/bin usr/sbin; do echo "dir /$d 0755 0 0"; done
    echo "dir /tmp 01777 0 0"
    echo "file /init $root/init 0755 0 0"
    echo "file /bin/busybox $root/busybox 0755 0 0"
    echo "file /usr/bin/fpmath $root/fpmath 0755 0 0"
    echo "file /etc/motd $root/motd 0644 0 0"
    echo "file /etc/passwd $root/passwd 0644 0 0"
    echo "file /etc/group $root/group 0644 0 0"
    # The program interpreter where PT_INTERP names it, the libraries where Debian's riscv64 glibc looks.
    echo "file /lib/ld-linux-riscv64-lp64d.so.1 $root/ld-linux-riscv64-lp64d.so.1 0755 0 0"
    for lib in libc.so.6 libm.so.6 libresolv.so.2; do echo "file /lib/riscv64-linux-gnu/$lib $root/$lib 0644 0 0"; done
    grep -v '^/bin/busybox$' "$build/busybox.links" | while read -r applet; do echo "slink $applet /bin/busybox 0777 0 0"; done
  } | LC_ALL=C sort -k2,2 -u > "$list"
  "$build/gen_init_cpio" -t "$stamp" "$list" > "$here/initramfs.cpio"
}

versions() {
  local gver lver
  gver="$(dpkg -s gcc-riscv64-linux-gnu | sed -n 's/^Version: //p')"
  lver="$(dpkg -s libc6-riscv64-cross | sed -n 's/^Version: //p')"
  local kline  # the kernel's line changes only with the kernel
  kline="$(if [ "$what" = all ]; then echo "linux-source-6.1 $(kernel_version)"; else head -1 "$here/VERSIONS"; fi)"
  {
    echo "$kline"
    echo "gcc-riscv64-linux-gnu $gver ($(${cross}gcc --version | head -1))"
    echo "libc6-riscv64-cross $lver (ld-linux-riscv64-lp64d.so.1, libc.so.6, libm.so.6, libresolv.so.2)"
    cat "$build/busybox.version"
  } > "$here/VERSIONS"
}

kernel_tree
if [ "$what" = all ]; then
  kernel_build "$build/obj-busybox" "$here/Image" "$here/../hindsight.config" "$here/kernel.config"
fi
cpio_tool
busybox_source
busybox_build
fpmath_build
initramfs
versions
ls -l "$here/Image" "$here/initramfs.cpio" "$build/busybox" "$build/fpmath"
