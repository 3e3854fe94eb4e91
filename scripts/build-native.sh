#!/bin/sh
# Compiles the server's one native addon, dist/server/native/malloc-trim.node (server/native/malloc-trim.c), with the C
# compiler and the Node-API headers of the node that runs the build. Optional: without a compiler or headers, or on
# a system that is not Linux, it says so and the server runs without it (ended VMs' memory is then kept by the C
# allocator for later VMs instead of going back to the OS; server/vm/release-memory.ts).
set -e
out=dist/server/native/malloc-trim.node
if [ "$(uname -s)" != Linux ]; then echo "[build] native: skipped (not Linux)" >&2; exit 0; fi
cc=${CC:-cc}
if ! command -v "$cc" >/dev/null 2>&1; then echo "[build] native: skipped (no C compiler '$cc')" >&2; exit 0; fi
include=$(node -p "require('node:path').resolve(process.execPath, '..', '..', 'include', 'node')")
if [ ! -f "$include/node_api.h" ]; then echo "[build] native: skipped (no Node-API headers in $include)" >&2; exit 0; fi
mkdir -p dist/server/native
"$cc" -shared -fPIC -O2 -Wall -I"$include" -o "$out.tmp" server/native/malloc-trim.c
mv "$out.tmp" "$out"
echo "[build] native: $out" >&2
