#!/usr/bin/env bash
# deptry per package: every direct import must be declared in that package's own metadata.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
for package in "$root"/packages/*/; do
    (cd "$package" && deptry src)
done
