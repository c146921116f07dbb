#!/usr/bin/env python3
"""An independent key-upload client written from docs/enrollment.md with PyJWT (python3-jwt).

  pyjwt_enroll.py enroll --origin URL --key NEW.pem --code CODE [--now SECONDS]
      POST /v1/enroll with a Signet-Proof signed by NEW.pem; prints {"status", "body"}.
  pyjwt_enroll.py add --origin URL --key NEW.pem --auth-key OLD.pem --auth-kid KID [--now SECONDS]
      POST /v1/keys signed by OLD.pem (Authorization) and NEW.pem (Signet-Proof).
"""
import argparse
import base64
import hashlib
import json
import secrets
import time
import urllib.error
import urllib.request

import jwt
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_private_key


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def load(path: str):
    with open(path, "rb") as f:
        return load_pem_private_key(f.read(), password=None)


def token(key, kid: str, method: str, url: str, origin: str, body: bytes, now: int) -> str:
    claims = {
        "method": method,
        "url": url,
        "body_sha256": b64(hashlib.sha256(body).digest()),
        "aud": origin,
        "iat": now,
        "exp": now + 60,
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid, "typ": "signet+jwt"})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["enroll", "add"])
    parser.add_argument("--origin", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--code")
    parser.add_argument("--auth-key")
    parser.add_argument("--auth-kid")
    parser.add_argument("--now", type=int, default=None)
    args = parser.parse_args()

    now = args.now if args.now is not None else int(time.time())
    key = load(args.key)
    x = b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    # RFC 7638: the members in lexical order, no whitespace.
    thumbprint = b64(hashlib.sha256(('{"crv":"Ed25519","kty":"OKP","x":"%s"}' % x).encode()).digest())
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": x}

    path = "/v1/enroll" if args.mode == "enroll" else "/v1/keys"
    url = args.origin + path
    payload = {"code": args.code, "public_key": jwk} if args.mode == "enroll" else {"public_key": jwk, "label": "python"}
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "Signet-Proof": token(key, thumbprint, "POST", url, args.origin, body, now)}
    if args.mode == "add":
        headers["Authorization"] = "Signet " + token(load(args.auth_key), args.auth_kid, "POST", url, args.origin, body, now)

    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request) as response:
            status, text = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read()
    print(json.dumps({"status": status, "body": json.loads(text) if text else None}))


if __name__ == "__main__":
    main()
