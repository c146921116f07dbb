"""The Python kit reproduces every vector of test/clients/vectors.json byte for byte."""

import base64

import pytest
from signet_client import canonicalize_url, export_private_key, export_public_key, import_signing_key, parse_hmac_secret, presign_url, sign_request, body_sha256
from signet_client.errors import SignetError


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_canonicalises_every_url_as_the_reference_does(vectors):
    for v in vectors["canonical_urls"]:
        got = canonicalize_url(v["input"])
        assert (got.href if got else None) == v["canonical"], v["input"]
        if got:
            assert (got.origin, got.target) == (v["origin"], v["target"])


def test_hashes_every_body_as_the_reference_does(vectors):
    for v in vectors["body_hashes"]:
        assert body_sha256(unb64url(v["body_base64url"])) == v["sha256"]


def test_accepts_exactly_the_valid_hmac_secrets(vectors):
    for v in vectors["hmac_secrets"]:
        if v["valid"]:
            assert parse_hmac_secret(v["secret"]) == v["secret"].encode()
        else:
            with pytest.raises(SignetError) as caught:
                parse_hmac_secret(v["secret"])
            assert caught.value.code == "invalid_request"


def keys_for(vectors, name):
    if name == "hmac":
        return [import_signing_key(vectors["hmac_secrets"][0]["secret"])]
    return [import_signing_key(vectors["keys"][name]["private"][fmt]) for fmt in ("pem", "jwk", "openssh")]


def test_signs_every_token_byte_for_byte_from_each_key_file_format(vectors):
    for v in vectors["tokens"]:
        for key in keys_for(vectors, v["key"]):
            key.alg = v["alg"] if v["alg"] != "HS256" else key.alg
            signed = sign_request(v["method"], v["url"], unb64url(v["body_base64url"]), key=key, kid=v["kid"], now=v["iat"], lifetime=v["lifetime"], audience=v["audience"], jti=v["jti"])
            assert signed.token == v["token"], v["name"]


def test_makes_every_presigned_link_byte_for_byte(vectors):
    for v in vectors["presigned"]:
        key = keys_for(vectors, v["key"])[0]
        link = presign_url(v["url"], key=key, kid=v["kid"], ttl=v["ttl"], now=v["iat"], jti=v["jti"])
        assert link.url == v["link"]


def test_writes_the_same_key_files_as_signet_keygen(vectors):
    for name, v in vectors["keys"].items():
        key = import_signing_key(v["private"]["pem"])
        comment = "kit-vector-1" if name == "k1" else ""
        assert export_private_key(key, "pem") == v["private"]["pem"]
        assert export_private_key(key, "jwk") == v["private"]["jwk"]
        assert export_private_key(key, "openssh", comment, _check=0x5E119E70) == v["private"]["openssh"]
        for fmt in ("pem", "jwk", "openssh"):
            assert export_public_key(key.public_raw, fmt, comment) == v["public"][fmt]
