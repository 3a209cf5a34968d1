#!/usr/bin/env bash
# Installs PyPI `httpbin` (the digest-auth oracle of tests/it/auth_io.rs) into a virtual
# environment under .tools/py-digest (gitignored), pinned, and prints the Python to run it
# with. Idempotent: does nothing when the environment is complete. Needs only PyPI.
#
#   scripts/py-digest.sh            -> prints .tools/py-digest/bin/python
#   .tools/py-digest/bin/python -m httpbin.core --host 127.0.0.1 --port PORT
set -euo pipefail
cd "$(dirname "$0")/.."

HTTPBIN_VERSION=0.10.2
# Every package of the environment, pinned (pip freeze of a working install).
PINS="attrs==26.1.0 blinker==1.9.0 brotlicffi==1.2.1.0 cffi==2.1.1 click==8.5.1 decorator==5.3.1 flasgger==0.9.7.1 Flask==3.1.3 greenlet==2.0.2 itsdangerous==2.2.0 Jinja2==3.1.6 jsonschema==4.26.0 jsonschema-specifications==2025.9.1 MarkupSafe==3.0.4 mistune==3.4.0 packaging==26.4 pycparser==3.12 PyYAML==6.0.4 referencing==0.37.0 rpds-py==2026.9.1 six==1.17.0 typing_extensions==4.16.0 Werkzeug==3.1.9"
dir=.tools/py-digest

if ! "$dir/bin/python" -c 'import httpbin.core' >/dev/null 2>&1; then
  python3 -m venv "$dir" >&2
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check \
      "httpbin==$HTTPBIN_VERSION" $PINS >&2
fi
echo "$dir/bin/python"
