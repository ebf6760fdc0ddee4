#!/usr/bin/env bash
# Creates tools/.venv with the pinned toolchain requirements if it is missing or stale.
# This machine kind's pip is configured with local wheel folders: try those alone first
# (fast, works offline), then plain pip with its configured indexes.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=tools/.venv/.requirements.sha256
want=$(sha256sum tools/requirements.txt | cut -d' ' -f1)
if [ -x tools/.venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then exit 0; fi
python3 -m venv tools/.venv
if [ -d /opt/pypi/files ] && tools/.venv/bin/pip install -q --no-index --find-links /opt/pypi/files -r tools/requirements.txt 2>/dev/null; then
  :
else
  tools/.venv/bin/pip install -q -r tools/requirements.txt
fi
echo "$want" > "$stamp"
