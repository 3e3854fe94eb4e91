#!/bin/sh
# Compiles the server's native addon, dist/server/native/native.node (server/native/native.c), with the C
# compiler and the Node-API headers of the node that runs the build. Optional: without a compiler or headers, or on
# a system that is not Linux, it says so and the server runs without it (server/native/addon.ts: ended VMs' memory is
# then kept by the C allocator for later VMs instead of going back to the OS, and each channel connection handed to a
# VM's worker leaves a small handle behind in the main thread).
set -e
out=dist/server/native/native.node
if [ "$(uname -s)" != Linux ]; then echo "[build] native: skipped (not Linux)" >&2; exit 0; fi
cc=${CC:-cc}
if ! command -v "$cc" >/dev/null 2>&1; then echo "[build] native: skipped (no C compiler '$cc')" >&2; exit 0; fi
include=$(node -p "require('node:path').resolve(process.execPath, '..', '..', 'include', 'node')")
if [ ! -f "$include/node_api.h" ]; then echo "[build] native: skipped (no Node-API headers in $include)" >&2; exit 0; fi
mkdir -p dist/server/native
"$cc" -shared -fPIC -O2 -Wall -I"$include" -o "$out.tmp" server/native/native.c
mv "$out.tmp" "$out"
echo "[build] native: $out" >&2
