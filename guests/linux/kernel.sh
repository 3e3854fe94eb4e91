# Shared by build.sh and busybox/build.sh (sourced, not run): Debian's linux-source-6.1 extracted once under
# $build, each kernel configured and built out of tree in its own object directory, so the two guests' kernels do
# not rebuild each other.
#
#   need_packages pkg...                    installs what is missing (as root), or fails naming it
#   kernel_tree                              extracts /usr/src/linux-source-6.1.tar.xz into $build (once)
#   kmake OBJDIR target...                   make in the tree with the cross compiler and fixed build stamps
#   kernel_configure OBJDIR fragment...      tinyconfig + the fragments in order; fails if an option did not stick
#   kernel_build OBJDIR OUT fragment...      configure, build the Image and copy it to OUT
#   kernel_version                           the Debian version of linux-source-6.1
#   cpio_tool                                builds the tree's usr/gen_init_cpio for the host as $build/gen_init_cpio
#                                            (it packs an initramfs without root: /dev/console from a list line)

cross=riscv64-linux-gnu-
build="${BUILD_DIR:-/tmp/hindsight-linux}"
src="$build/linux-source-6.1"

need_packages() {
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then echo "build: missing Debian packages: ${missing[*]}" >&2; return 1; fi
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

kernel_tree() {
  if [ ! -f "$src/Makefile" ]; then
    mkdir -p "$build"
    tar -C "$build" -xf /usr/src/linux-source-6.1.tar.xz
  fi
  # A tree once configured in place (as build.sh did before kernel.sh) refuses out-of-tree builds.
  if [ -f "$src/.config" ]; then make -C "$src" ARCH=riscv mrproper >/dev/null; fi
}

kmake() {
  local obj="$1"; shift
  mkdir -p "$obj"
  make -C "$src" O="$obj" ARCH=riscv CROSS_COMPILE="$cross" KBUILD_BUILD_TIMESTAMP='2025-01-01' KBUILD_BUILD_VERSION=1 \
    KBUILD_BUILD_USER=hindsight KBUILD_BUILD_HOST=hindsight "$@"
}

kernel_configure() {
  local obj="$1"; shift
  kmake "$obj" tinyconfig >/dev/null
  (cd "$obj" && ARCH=riscv CROSS_COMPILE="$cross" "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" .config "$@" >/dev/null)
  kmake "$obj" olddefconfig >/dev/null
  # Every option the fragments set must have stuck (a dependency missing would silently drop it). A later
  # fragment overrides an earlier one, as in merge_config.sh.
  local -A want=()
  local line n bad=0
  while IFS= read -r line; do
    case "$line" in
      CONFIG_*=*) want["${line%%=*}"]="$line" ;;
      "# CONFIG_"*" is not set") n="${line#\# }"; want["${n%% *}"]="" ;;
    esac
  done < <(cat "$@")
  for n in "${!want[@]}"; do
    if [ -n "${want[$n]}" ]; then
      grep -qx "${want[$n]}" "$obj/.config" || { echo "build: ${want[$n]} did not stick" >&2; bad=1; }
    elif grep -q "^$n=" "$obj/.config"; then
      echo "build: $n is set, the fragments unset it" >&2; bad=1
    fi
  done
  [ "$bad" = 0 ]
}

kernel_build() {
  local obj="$1" out="$2"; shift 2
  kernel_configure "$obj" "$@"
  kmake "$obj" -j"$(nproc)" Image
  cp "$obj/arch/riscv/boot/Image" "$out"
}

kernel_version() { dpkg -s linux-source-6.1 | sed -n 's/^Version: //p'; }

cpio_tool() { cc -O2 -o "$build/gen_init_cpio" "$src/usr/gen_init_cpio.c"; }
