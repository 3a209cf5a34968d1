"""Verifies a request the naftiko runtime sent with the provider's own signing library.

Reads one JSON object on stdin: {"scheme", "method", "url", "headers": {name: value},
"body": text, plus the scheme's credentials}. Prints "ok" and exits 0 when the signature is
what the provider's library computes (or, for RSA, verifies with the public key over the base
string Mastercard's library builds); prints the difference and exits 1 otherwise.
"""
import base64
import hashlib
import json
import sys
import urllib.parse


def fields(header, prefix):
    out = {}
    for part in header[len(prefix):].split(","):
        k, _, v = part.strip().partition("=")
        out[k] = v.strip('"')
    return out


def oauth1(r):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    from oauth1.oauth import OAuth
    import oauth1.coreutils as util

    f = fields(r["headers"]["authorization"], "OAuth ")
    signature = urllib.parse.unquote(f.pop("oauth_signature"))
    assert f["oauth_consumer_key"] == r["consumer_key"], f
    assert f["oauth_signature_method"] == "RSA-SHA256", f
    body_hash = util.base64_encode(util.sha256_encode(r["body"]))
    assert f["oauth_body_hash"] == body_hash, (f["oauth_body_hash"], body_hash)
    base = OAuth.get_base_string(r["url"], r["method"], f)
    if "signing_key_p12" in r:  # Mastercard's own PKCS#12 loader
        from oauth1.authenticationutils import load_signing_key
        key = load_signing_key(r["signing_key_p12"], r["signing_key_password"])
    else:
        key = serialization.load_pem_private_key(r["signing_key"].encode(), password=None)
    key.public_key().verify(base64.b64decode(signature), base.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f["oauth_nonce"]


def oauth1_hmac(r):
    """RFC 5849 HMAC-SHA1/-SHA256 as oauthlib verifies it: the parameters collected from the
    query, the form body and the header; the body hash by the OAuth Request Body Hash draft."""
    from oauthlib.common import Request
    from oauthlib.oauth1.rfc5849 import signature as s

    h = r["headers"]
    f = {k: urllib.parse.unquote(v) for k, v in fields(h["authorization"], "OAuth ").items()}
    form = h.get("content-type", "").startswith("application/x-www-form-urlencoded")
    body = r["body"] or None
    request = Request(r["url"], r["method"], body, h)
    request.params = s.collect_parameters(
        uri_query=urllib.parse.urlsplit(r["url"]).query, body=body if form else None,
        headers={"Authorization": h["authorization"]}, exclude_oauth_signature=True)
    request.signature = f["oauth_signature"]
    method = f["oauth_signature_method"]
    assert method == r["signature_method"], f
    assert f["oauth_consumer_key"] == r["consumer_key"], f
    verify = {"HMAC-SHA1": s.verify_hmac_sha1, "HMAC-SHA256": s.verify_hmac_sha256}[method]
    assert verify(request, r["consumer_secret"], r.get("token_secret")), ("signature", request.params)
    if form or not body:
        assert "oauth_body_hash" not in f, f
    else:
        algorithm = hashlib.sha1 if method == "HMAC-SHA1" else hashlib.sha256
        assert f["oauth_body_hash"] == base64.b64encode(algorithm(body.encode()).digest()).decode(), f
    return f["oauth_nonce"]


def hmac(r):
    from veracode_api_signing.veracode_hmac_auth import create_signature
    from veracode_api_signing.formatters import format_signing_data

    f = fields(r["headers"]["authorization"], "VERACODE-HMAC-SHA-256 ")
    parts = urllib.parse.urlsplit(r["url"])
    path = parts.path + ("?" + parts.query if parts.query else "")
    data = format_signing_data(r["api_id"], parts.hostname, path, r["method"])
    expected = create_signature("VERACODE-HMAC-SHA-256", r["api_key"], data, int(f["ts"]), f["nonce"])
    assert f["sig"] == expected, (f["sig"], expected, data, f)
    return f["nonce"]


def aws(r):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    h = r["headers"]
    auth = h["authorization"]
    signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
    req = AWSRequest(method=r["method"], url=r["url"], data=r["body"].encode(),
                     headers={k: h[k] for k in signed})
    req.context["timestamp"] = h["x-amz-date"]
    body_hash = hashlib.sha256(r["body"].encode()).hexdigest()
    assert h["x-amz-content-sha256"] == body_hash
    signer = SigV4Auth(Credentials(r["access_key_id"], r["secret_key"], r.get("session_token")), r["service"], r["region"])
    canonical = signer.canonical_request(req)
    expected = signer.signature(signer.string_to_sign(req, canonical), req)
    got = auth.split("Signature=")[1]
    assert got == expected, (got, expected, canonical)
    return h["x-amz-date"] + got


r = json.load(sys.stdin)
# The URL as the server saw it: the `host` header the client sent, not the capture's guess.
_u = urllib.parse.urlsplit(r["url"])
r["url"] = urllib.parse.urlunsplit((_u.scheme, r["headers"]["host"], _u.path, _u.query, ""))
try:
    print(json.dumps({"ok": True, "nonce": {"oauth1": oauth1, "oauth1-hmac": oauth1_hmac, "hmac": hmac, "aws": aws}[r["scheme"]](r)}))
except Exception as e:  # the test prints it
    print(json.dumps({"ok": False, "error": repr(e)}))
    sys.exit(1)
