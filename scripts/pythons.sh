#!/usr/bin/env bash
# Make the interpreters CI tests on findable by hatch and uv. pyenv's shims answer
# "command not found" for a version that is not selected, and uv then tries to download
# one; links to the real binaries, in a folder put first on PATH, avoid both.
# Usage: PATH="$(bash scripts/pythons.sh DIR):$PATH"   (prints DIR; fails if one is missing)
set -euo pipefail
dir=$1
mkdir -p "$dir"
pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
for minor in 3.10 3.11 3.12 3.13; do
    found=""
    for candidate in "$pyenv_root"/versions/"$minor".*/bin/python"$minor" /usr/bin/python"$minor" /usr/local/bin/python"$minor"; do
        if [ -x "$candidate" ] && "$candidate" -c "import venv, ensurepip" 2>/dev/null; then
            found=$candidate
            break
        fi
    done
    if [ -z "$found" ]; then
        echo "pythons.sh: no working python$minor on this machine" >&2
        exit 1
    fi
    ln -sf "$found" "$dir/python$minor"
done
echo "$dir"
