#!/usr/bin/env bash
# Records the bug scenarios again (byte-identical unless the machine model changed on purpose: then commit the
# new journals with the change that explains them).
set -euo pipefail
cd "$(dirname "$0")/.."
h="node dist/server/cli/main.js"
$h record guests/build/scenario-uart-race.elf --input 'the quick brown fox\n' -o recordings/uart-race.hsj --force --quiet > /dev/null || true
$h record guests/build/scenario-bad-fnptr.elf -o recordings/bad-fnptr.hsj --force --quiet > /dev/null || true
$h record guests/build/scenario-wrong-device-answer.elf -o recordings/wrong-device-answer.hsj --force --quiet > /dev/null || true
for f in recordings/*.hsj; do $h replay "$f" --verify > /dev/null; done
echo "recorded and verified: recordings/*.hsj"
