#!/bin/sh
# Compiles the TypeScript into dist/ (JavaScript and declaration files), saying so: tsc itself prints nothing when
# all is well, and takes a while.
set -e
echo "[build] tsc -p tsconfig.json: compiling into dist/ ..." >&2
start=$(date +%s)
tsc -p tsconfig.json
echo "[build] tsc -p ui/tsconfig.json: the web UI's browser code into dist/ui/ ..." >&2
tsc -p ui/tsconfig.json
sh scripts/build-native.sh
echo "[build] done in $(( $(date +%s) - start )) s" >&2
