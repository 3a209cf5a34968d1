#!/usr/bin/env bash
# Installs the providers' own signing libraries into .tools/py (gitignored), pinned, for the
# signature oracles of tests/it/auth_sign.rs (tests/oracles/*.py):
#   mastercard-oauth1-signer (Mastercard's OAuth 1.0a signer), oauthlib (RFC 5849, the HMAC methods),
#   veracode-api-signing (Veracode's HMAC), botocore (the AWS SDK's SigV4 signer).
# Needs python3 (with venv) and the PyPI registry only. Idempotent: a complete venv is kept.
# Exit status 0 when .tools/py/bin/python can import them all.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=.tools/py
py=$dir/bin/python
pins=(
  "mastercard-oauth1-signer==1.9.2"
  "veracode-api-signing==26.5.0"
  "botocore==1.44.8"
  "cryptography==46.0.3"
  "oauthlib==4.0.1"
)
check() { "$py" -c 'import oauth1.oauth, oauth1.authenticationutils, veracode_api_signing.plugin_requests, botocore.auth, cryptography, oauthlib.oauth1' 2>/dev/null; }

if [ -x "$py" ] && check; then exit 0; fi
python3 -m venv "$dir"
"$py" -m pip install --quiet --disable-pip-version-check "${pins[@]}"
check
