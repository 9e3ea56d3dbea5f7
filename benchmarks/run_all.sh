#!/usr/bin/env bash
# Run every scenario one after the other. Arguments go to each script, e.g.
#   bash benchmarks/run_all.sh --quick          # smoke test, about half a minute
#   bash benchmarks/run_all.sh --rounds 7
# Needs the envs: bash benchmarks/setup_envs.sh (re-run it when a package folder is added).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${BENCH_DRIVER_PYTHON:-python3}"
if [ ! -d "$here/.envs" ]; then
  echo "no envs in $here/.envs: run bash $here/setup_envs.sh first" >&2
  exit 2
fi

start=$(date +%s)
for scenario in bench_a_sync_sequential bench_b_async_concurrent bench_c_http2_concurrent \
  bench_d_download bench_e_upload; do
  "$python" "$here/$scenario.py" "$@"
  echo
done
echo "all scenarios: $(($(date +%s) - start)) s"
# The README's chart of the side-by-side ratios, from the results just stored.
"$here/.envs/tools/bin/python" "$here/chart.py"
