#!/usr/bin/env bash
# Drop-in check: httpx 0.16.1 and 0.17.1, unchanged, on top of our packages. Each version
# gets a fresh venv holding our wheels from dist/ (httpcore from there, never from the
# index: PyPI's httpcore is another project's 1.x), httpx with --no-deps plus its other
# dependencies, and the test tools; then tests/compat_httpx runs there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dist="$root/dist"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
shopt -s nullglob
meta=("$dist"/httpcore-0.12.*.whl)
[ ${#meta[@]} -eq 1 ] || { echo "compat_httpx: build the wheels first (hatch build --all -t wheel)" >&2; exit 1; }

for version in 0.16.1 0.17.1; do
    echo "--- httpx $version"
    venv="$work/httpx-$version"
    uv venv -q "$venv"
    py=("--python" "$venv/bin/python")
    uv pip install -q "${py[@]}" --find-links "$dist" httpcore-interfaces httpcore-streams httpcore-pool httpcore-proxy
    uv pip install -q "${py[@]}" --no-deps "${meta[0]}" "httpx==$version"
    uv pip install -q "${py[@]}" "rfc3986[idna2008]>=1.3,<2" sniffio certifi \
        pytest pytest-timeout anyio trio trustme hypercorn pproxy
    "$venv/bin/python" -c "import httpcore, httpx; assert httpcore.__version__.startswith('0.12.'), httpcore.__file__; print('httpx', httpx.__version__, 'on httpcore', httpcore.__version__)"
    (cd "$root" && "$venv/bin/python" -m pytest -p no:cacheprovider -q tests/compat_httpx)
done
