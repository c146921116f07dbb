#!/usr/bin/env python3
"""An independent Signet client written from docs/protocol.md with PyJWT (Debian's python3-jwt).

  pyjwt_client.py send --key FILE --kid KID --url SIGNED_URL --aud AUD --send-to URL
                       [--method M] [--body TEXT] [--now SECONDS]
      Signs one request and sends it; prints {"status": ..., "body": ...} as JSON.
  pyjwt_client.py verify --public-key FILE --aud AUD  (token on standard input)
      Verifies a Signet token with PyJWT; prints its header and claims as JSON.
"""
import argparse
import base64
import hashlib
import json
import secrets
import sys
import time
import urllib.error
import urllib.request

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def send(args: argparse.Namespace) -> None:
    with open(args.key, "rb") as f:
        key = load_pem_private_key(f.read(), password=None)
    body = args.body.encode() if args.body is not None else b""
    now = args.now if args.now is not None else int(time.time())
    claims = {
        "method": args.method,
        "url": args.url,
        "body_sha256": b64url(hashlib.sha256(body).digest()),
        "aud": args.aud,
        "iat": now,
        "exp": now + 60,
        "jti": secrets.token_urlsafe(16),
    }
    token = jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": args.kid, "typ": "signet+jwt"})
    request = urllib.request.Request(
        args.send_to,
        data=body if args.method not in ("GET", "HEAD") else None,
        method=args.method,
        headers={"Authorization": f"Signet {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    print(json.dumps({"status": status, "body": json.loads(text) if text else None}))


def verify(args: argparse.Namespace) -> None:
    with open(args.public_key, "rb") as f:
        public_key = load_pem_public_key(f.read())
    token = sys.stdin.read().strip()
    header = jwt.get_unverified_header(token)
    # The token's times belong to the test's fixed clock, not to this machine's: check the signature,
    # the audience and the claims, not freshness.
    claims = jwt.decode(token, public_key, algorithms=["EdDSA"], audience=args.aud, options={"verify_exp": False, "verify_iat": False})
    print(json.dumps({"header": header, "claims": claims}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    s = commands.add_parser("send")
    s.add_argument("--key", required=True)
    s.add_argument("--kid", required=True)
    s.add_argument("--url", required=True)
    s.add_argument("--aud", required=True)
    s.add_argument("--send-to", required=True)
    s.add_argument("--method", default="GET")
    s.add_argument("--body")
    s.add_argument("--now", type=int)
    v = commands.add_parser("verify")
    v.add_argument("--public-key", required=True)
    v.add_argument("--aud", required=True)
    args = parser.parse_args()
    send(args) if args.command == "send" else verify(args)


if __name__ == "__main__":
    main()
