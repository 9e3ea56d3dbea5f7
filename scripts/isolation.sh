#!/usr/bin/env bash
# The isolation matrix: for each package, a fresh hatch env holding that package (built from
# its folder, not editable) and only what its metadata pulls in, siblings from the wheels in
# dist/; then that package's tests alone. A missing dependency fails here.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -n "$(ls dist/*.whl 2>/dev/null)" ] || { echo "isolation: build wheels first" >&2; exit 1; }
export UV_FIND_LINKS="$root/dist"
for env in iso-interfaces iso-streams iso-pool iso-proxy iso-httpcore; do
    echo "--- isolation: $env"
    hatch env remove "$env" >/dev/null 2>&1 || true
    hatch run "$env:test" -q
done
