#!/usr/bin/env bash
# The Python toolchain's tests (tiny configurations only), in the project's venv.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-venv.sh
exec tools/.venv/bin/python -m pytest -q -p no:cacheprovider tools "$@"
