#!/usr/bin/env bash
# Drop-in, as users install: httpx 0.16.1 and 0.17.1, unchanged, on our packages, each
# stack resolved by pip and by uv in a fresh venv next to our wheels in dist/, every
# dependency through the resolver. Every stack asks for "httpcore>=0.12.4,<0.13", as the README says: the
# public index's httpcore is another project, whose last 0.12 is 0.12.3. For each stack:
#   - pip and uv must resolve the same distributions and versions;
#   - httpcore must be ours, with nothing of the other project left;
#   - tests/compat_httpx (HTTP/2 included) runs there.
# Stacks: an existing httpx[http2]==0.17.1 project (upstream httpcore 0.12.3 installed
# first, then ours over it); httpx[http2]==0.16.1 on Python 3.12 (h2 3.2 on the newest
# Python httpx 0.16/0.17 run on: 3.13 removed the cgi module they import); an anyio-3 stack (FastAPI 0.103 pins anyio<4; trio as anyio declares it); and
# the CLI extra.
# Needs HTTPCORE_TEST_HYPERCORN_PYTHON: httpx's http2 extra pins h2 3, and hypercorn
# needs h2>=4.3, so the tests' hypercorn runs from that interpreter (the `peers` env).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dist="$root/dist"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: "${HTTPCORE_TEST_HYPERCORN_PYTHON:?set it to a python with hypercorn, e.g. \$(hatch env find peers)/bin/python}"
export HTTPCORE_TEST_HYPERCORN_PYTHON
shopt -s nullglob
meta=("$dist"/httpcore-0.12.*.whl)
[ ${#meta[@]} -eq 1 ] || { echo "compat_httpx: build the wheels first (hatch build --all -t wheel)" >&2; exit 1; }
pin="httpcore>=0.12.4,<0.13"
tools=(pytest pytest-timeout trustme pproxy trio)

new_venv() {  # installer venv (Python: $STACK_PYTHON, default 3.11)
    local python=${STACK_PYTHON:-3.11}
    if [ "$1" = pip ]; then "python$python" -m venv "$2"; else uv venv -q -p "$python" "$2"; fi
}

install() {  # installer venv requirement... : from the index alone (a project before ours)
    local installer=$1 venv=$2
    shift 2
    if [ "$installer" = pip ]; then
        # (this machine's pip.conf names local folders that may be absent: keep that quiet)
        { "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@" 2>&1 1>&3 |
            { grep -v "is ignored: it is neither a file nor a directory" >&2 || true; }; } 3>&1
    else
        # uv caches a wheel by name and version: a rebuilt wheel of the same version must
        # not be served from an earlier build (check_ours would catch it).
        uv pip install -q --python "$venv/bin/python" --refresh-package httpcore \
            --refresh-package httpcore-interfaces --refresh-package httpcore-streams \
            --refresh-package httpcore-pool --refresh-package httpcore-proxy "$@"
    fi
}

resolved() {  # venv: name==version of what is installed, names normalised, installers left out
    uv pip freeze -q --python "$1/bin/python" |
        tr '[:upper:]_' '[:lower:]-' | grep -Ev '^(pip|setuptools|wheel)==' | sort
}

check_ours() {  # venv: our five wheels, byte for byte, and nothing of the other project
    "$1/bin/python" "$root/scripts/check_ours.py" "$dist"
}

run_stack() {  # name, then "--" between the existing project's requirements and ours
    local name=$1
    shift
    local before=() after=() seen=0
    for arg in "$@"; do
        if [ "$arg" = -- ]; then seen=1; elif [ $seen = 0 ]; then before+=("$arg"); else after+=("$arg"); fi
    done
    echo "--- $name"
    for installer in pip uv; do
        local venv="$work/$name-$installer"
        local started=$SECONDS
        new_venv "$installer" "$venv"
        if [ ${#before[@]} -gt 0 ]; then
            install "$installer" "$venv" "${before[@]}"
            resolved "$venv" | grep -x 'httpcore==0\.12\.3' >/dev/null ||
                { echo "compat_httpx: the existing project should hold upstream httpcore 0.12.3" >&2; exit 1; }
            echo "  $installer, the existing project: $(resolved "$venv" | grep -E '^(httpcore|h2)==' | tr '\n' ' ')"
        fi
        install "$installer" "$venv" --find-links "$dist" "${after[@]}"
        resolved "$venv" >"$work/$name-$installer.txt"
        echo "  $installer resolved in $((SECONDS - started)) s: $(grep -E '^(httpx|httpcore|h2|anyio|trio)==' "$work/$name-$installer.txt" | tr '\n' ' ')"
        check_ours "$venv"
    done
    if ! diff -u "$work/$name-pip.txt" "$work/$name-uv.txt"; then
        echo "compat_httpx: pip and uv resolved $name differently" >&2
        exit 1
    fi
}

run_tests() {  # name: the compat tests in both venvs of that stack
    for installer in pip uv; do
        local venv="$work/$1-$installer"
        install "$installer" "$venv" "${tools[@]}"
        # The test tools must not move what the user's requirements resolved to.
        resolved "$venv" | comm -13 - "$work/$1-$installer.txt" | grep . &&
            { echo "compat_httpx: installing the test tools changed $1" >&2; exit 1; }
        # CI=true: a missing nginx fails the HTTP/2 tests instead of skipping them.
        (cd "$root" && CI=true "$venv/bin/python" -m pytest -p no:cacheprovider -q tests/compat_httpx)
    done
}

run_stack httpx-0.17.1-existing "httpx[http2]==0.17.1" -- "httpx[http2]==0.17.1" "$pin"
run_tests httpx-0.17.1-existing
STACK_PYTHON=3.12 run_stack httpx-0.16.1-py3.12 -- "httpx[http2]==0.16.1" "$pin"
STACK_PYTHON=3.12 run_tests httpx-0.16.1-py3.12
run_stack anyio-3 -- "fastapi==0.103.2" "anyio[trio]" "httpx[http2]==0.17.1" "$pin"
run_tests anyio-3
grep '^anyio==3\.' "$work/anyio-3-pip.txt" >/dev/null || { echo "compat_httpx: the anyio-3 stack got another anyio" >&2; exit 1; }

run_stack cli -- "httpcore[cli]>=0.12.4,<0.13"
for installer in pip uv; do
    "$work/cli-$installer/bin/httpcore" --help | grep -- --http2 >/dev/null || { echo "compat_httpx: no httpcore command ($installer)" >&2; exit 1; }
done
echo "  the httpcore command runs (pip and uv)"
