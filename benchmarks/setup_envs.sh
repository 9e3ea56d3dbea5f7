#!/usr/bin/env bash
# Create one virtual environment per benchmarked client under benchmarks/.envs/.
#
#   bash benchmarks/setup_envs.sh            # all envs
#   bash benchmarks/setup_envs.sh ours       # only the named ones
#
# Idempotent: re-run it after a new package folder lands in packages/ (e.g. httpcore-pool).
# The `ours` env never resolves any `httpcore*` name from an index: every workspace package is
# installed editable in one resolver run, so they satisfy each other's requirements.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
envs="$here/.envs"
python="${BENCH_PYTHON:-$(command -v python3)}"
mkdir -p "$envs"

all=(ours httpcore-0.12.3 httpcore-1.0.9 aiohttp urllib3 h2-minimal tools)
if [ "$#" -gt 0 ]; then wanted=("$@"); else wanted=("${all[@]}"); fi

make_env() {
  local name="$1"
  rm -rf "${envs:?}/$name"
  uv venv --quiet --python "$python" "$envs/$name"
}

pip_install() {
  local name="$1"
  shift
  VIRTUAL_ENV="$envs/$name" uv pip install --quiet --python "$envs/$name/bin/python" "$@"
}

setup_ours() {
  make_env ours
  local py="$envs/ours/bin/python"
  # Every workspace package editable, in one resolver run: the editables satisfy each
  # other's httpcore* requirements, so no such name comes from an index, and the
  # third-party dependencies resolve as they would for a user.
  local args=()
  local f
  for f in "$root"/packages/*/; do
    [ -f "$f/pyproject.toml" ] && args+=(-e "${f%/}")
  done
  pip_install ours "${args[@]}"
  "$py" - <<'PY'
import httpcore

where = httpcore.__file__ or "?"
print(f"ours: httpcore {httpcore.__version__} from {where}")
assert "/packages/httpcore/" in where, "the ours env must import the workspace httpcore"
if not hasattr(httpcore, "AsyncConnectionPool"):
    print("ours: note: httpcore.AsyncConnectionPool is missing (pool package not there yet)")
PY
}

for name in "${wanted[@]}"; do
  echo "== $name"
  case "$name" in
    ours) setup_ours ;;
    httpcore-0.12.3)
      make_env "$name"
      # [http2]: h2, for scenario (c) (HTTP/2 over TLS).
      pip_install "$name" "httpcore[http2]==0.12.3"
      ;;
    httpcore-1.0.9)
      make_env "$name"
      # sniffio: httpcore 1.0.9 imports it on every async lock operation and, when the import
      # fails, retries the import each time (slow). anyio >= 4.12 no longer depends on it, so
      # it is installed explicitly, as it was in every env when httpcore 1.0.9 came out.
      # [http2]: h2, for scenario (c) (HTTP/2 over TLS).
      pip_install "$name" "httpcore[asyncio,http2]==1.0.9" anyio sniffio
      ;;
    aiohttp)
      make_env "$name"
      pip_install "$name" aiohttp
      ;;
    urllib3)
      make_env "$name"
      pip_install "$name" urllib3
      ;;
    h2-minimal)
      # The sans-I/O h2 library only: bench_c's minimal asyncio HTTP/2 client is written on it.
      make_env "$name"
      pip_install "$name" h2
      ;;
    tools)
      # Not a client: matplotlib, for chart.py's side-by-side chart of the results.
      make_env "$name"
      pip_install "$name" matplotlib
      ;;
    *)
      echo "unknown env: $name (known: ${all[*]})" >&2
      exit 2
      ;;
  esac
  VIRTUAL_ENV="$envs/$name" uv pip list --python "$envs/$name/bin/python" 2>/dev/null |
    grep -iE '^(httpcore|h11|h2|hpack|anyio|aiohttp|urllib3|sniffio|certifi)\b' | sed 's/^/   /' || true
done
