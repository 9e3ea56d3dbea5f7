#!/usr/bin/env bash
# Install each wheel of dist/ alone in a fresh venv, as a user would: the wheel, and what its
# metadata pulls in (siblings from dist/, the rest from the index). Then `pip check`, import
# it, and compare its __version__ with the wheel's. httpcore-interfaces must bring nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dist="$root/dist"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

shopt -s nullglob
wheels=("$dist"/*.whl)
[ ${#wheels[@]} -gt 0 ] || { echo "check_wheels: no wheels in $dist (run: hatch build --all -t wheel)" >&2; exit 1; }

for wheel in "${wheels[@]}"; do
    file=$(basename "$wheel")
    module=${file%%-*}            # httpcore_interfaces-1.0.0-py3-none-any.whl -> httpcore_interfaces
    version=${file#*-}; version=${version%%-*}
    venv="$work/$module"
    uv venv -q "$venv"
    # --find-links serves our siblings; the index serves third-party packages only.
    uv pip install -q --python "$venv/bin/python" --find-links "$dist" "$wheel"
    uv pip check -q --python "$venv/bin/python"
    seen=$("$venv/bin/python" -c "import $module; print($module.__version__)")
    [ "$seen" = "$version" ] || { echo "$module: __version__ $seen, wheel says $version" >&2; exit 1; }
    installed=$(uv pip list -q --python "$venv/bin/python" --format freeze 2>/dev/null | sort | tr '\n' ' ')
    if [ "$module" = "httpcore_interfaces" ] && [ "$installed" != "httpcore-interfaces==$version " ]; then
        echo "httpcore_interfaces must install alone, got: $installed" >&2
        exit 1
    fi
    echo "ok $file: $installed"
done
