"""Signet client kit for Python: sign HTTP requests with an Ed25519 key or an HMAC secret.

    import requests
    from signet_client import SignetAuth
    requests.get("https://api.example.com/v1/whoami", auth=SignetAuth(key_file="signet-key.pem", kid="key_…"))
"""

from .auth import SignetAuth
from .canonical import CanonicalUrl, canonicalize_url
from .errors import SignetError
from .keys import (
    Ed25519Key,
    HmacKey,
    KeyPairFiles,
    SigningKey,
    export_private_key,
    export_public_key,
    generate_key_pair,
    import_signing_key,
    load_signing_key,
    parse_hmac_secret,
)
from .profiles import Profile, default_config_file, load_profile
from .signing import PRESIGN_PARAM, PresignedLink, SignedRequest, Signer, body_sha256, presign_url, sign_request

__all__ = [
    "CanonicalUrl",
    "Ed25519Key",
    "HmacKey",
    "KeyPairFiles",
    "PRESIGN_PARAM",
    "PresignedLink",
    "Profile",
    "SignedRequest",
    "Signer",
    "SignetAuth",
    "SignetError",
    "SigningKey",
    "body_sha256",
    "canonicalize_url",
    "default_config_file",
    "export_private_key",
    "export_public_key",
    "generate_key_pair",
    "import_signing_key",
    "load_profile",
    "load_signing_key",
    "parse_hmac_secret",
    "presign_url",
    "sign_request",
]
