"""Signing keys: Ed25519 private key files (PEM, JWK, OpenSSH), HMAC secrets, key generation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import stat
import struct
import zlib
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .errors import SignetError, bad_input

KeyFormat = Literal["pem", "jwk", "openssh"]

HMAC_SECRET_PREFIX = "sgnt_hs_"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SECRET_SHAPE = re.compile(r"sgnt_hs_([0-9A-Za-z]{43})([0-9A-Za-z]{6})")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Ed25519Key:
    """An Ed25519 private key; signs as ``EdDSA`` (or ``Ed25519``, RFC 9864, when asked)."""

    kind = "ed25519"

    def __init__(self, private_key: Ed25519PrivateKey, alg: Literal["EdDSA", "Ed25519"] = "EdDSA") -> None:
        self.private_key = private_key
        self.alg = alg

    @property
    def public_raw(self) -> bytes:
        return self.private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)


class HmacKey:
    """An HMAC secret as the server showed it; the key is its ASCII bytes (nothing is decoded)."""

    kind = "hmac"
    alg = "HS256"

    def __init__(self, secret: str) -> None:
        self._key = parse_hmac_secret(secret)

    def sign(self, data: bytes) -> bytes:
        return hmac.new(self._key, data, hashlib.sha256).digest()

    def __repr__(self) -> str:  # never print the secret
        return "HmacKey(sgnt_hs_…)"


SigningKey = Ed25519Key | HmacKey


def _checksum(body: str) -> str:
    n, out = zlib.crc32((HMAC_SECRET_PREFIX + body).encode("ascii")), ""
    for _ in range(6):
        n, digit = divmod(n, 62)
        out = _BASE62[digit] + out
    return out


def parse_hmac_secret(text: str) -> bytes:
    """Checks a secret's shape and CRC-32 checksum offline; returns the HMAC key bytes."""
    if not text.startswith(HMAC_SECRET_PREFIX):
        raise bad_input(f'This is not a Signet HMAC secret: it must start with "{HMAC_SECRET_PREFIX}".')
    match = _SECRET_SHAPE.fullmatch(text)
    if match is None:
        raise bad_input(
            f'This HMAC secret is malformed: expected "{HMAC_SECRET_PREFIX}" and 49 letters and digits '
            f"(57 characters in all), got {len(text)} characters. Was it truncated?"
        )
    if _checksum(match.group(1)) != match.group(2):
        raise bad_input("This HMAC secret fails its checksum: a character was mistyped or changed. Copy it again exactly as it was shown.")
    return text.encode("ascii")


_PUBLIC_KEY_HINT = "This is a public key; sign with the private key file (the one without .pub)."


def import_signing_key(text: str) -> SigningKey:
    """An Ed25519 private key (PKCS#8 PEM, JWK, unencrypted OpenSSH) or an HMAC secret, from text."""
    stripped = text.strip()
    if stripped.startswith(HMAC_SECRET_PREFIX):
        return HmacKey(stripped)
    if stripped.startswith("-----BEGIN PUBLIC KEY-----") or stripped.startswith("ssh-ed25519 "):
        raise bad_input(_PUBLIC_KEY_HINT)
    if stripped.startswith("-----BEGIN OPENSSH PRIVATE KEY-----"):
        try:
            key = serialization.load_ssh_private_key(stripped.encode("ascii"), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm) as error:
            if "password" in str(error).lower() or "encrypted" in str(error).lower():
                raise bad_input('The OpenSSH private key is protected by a passphrase, which Signet does not read. Make an unencrypted copy with: ssh-keygen -p -N "" -f COPY_OF_THE_FILE') from None
            raise bad_input("The OpenSSH private key is not usable.") from None
        return _ed25519(key)
    if stripped.startswith("-----BEGIN PRIVATE KEY-----"):
        try:
            key = serialization.load_pem_private_key(stripped.encode("ascii"), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise bad_input("The PEM private key is not an Ed25519 PKCS#8 key.") from None
        return _ed25519(key)
    if stripped.startswith("{"):
        try:
            jwk = json.loads(stripped)
        except ValueError:
            raise bad_input("The JWK private key is not valid JSON.") from None
        if isinstance(jwk, dict) and "d" not in jwk and jwk.get("kty") == "OKP":
            raise bad_input(_PUBLIC_KEY_HINT)
        if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("d"), str) or not isinstance(jwk.get("x"), str):
            raise bad_input('The private key must be an Ed25519 JWK with "x" and "d".')
        try:
            seed, x = _b64url_decode(jwk["d"]), _b64url_decode(jwk["x"])
        except ValueError:
            raise bad_input('The private key\'s "x" and "d" must be canonical base64url.') from None
        if len(seed) != 32 or len(x) != 32:
            raise bad_input('The private key\'s "x" and "d" must each encode 32 bytes.')
        key = Ed25519Key(Ed25519PrivateKey.from_private_bytes(seed))
        if key.public_raw != x:
            raise bad_input('The private key\'s public part "x" does not belong to its private part "d".')
        return key
    raise bad_input('Unrecognised private key: expected an Ed25519 JWK, a PEM "PRIVATE KEY" block, an OpenSSH private key or an HMAC secret (sgnt_hs_...).')


def _ed25519(key: object) -> Ed25519Key:
    if not isinstance(key, Ed25519PrivateKey):
        raise bad_input("The private key is not an Ed25519 key; Signet keys are Ed25519.")
    return Ed25519Key(key)


def _read_secret_file(path: str | os.PathLike[str], allow_insecure_permissions: bool) -> str:
    try:
        info = os.stat(path)
    except OSError:
        raise bad_input(f"Cannot read the key file {os.fspath(path)}.") from None
    if not stat.S_ISREG(info.st_mode):
        raise bad_input(f"The key file {os.fspath(path)} is not a regular file.")
    mode = stat.S_IMODE(info.st_mode)
    if not allow_insecure_permissions and os.name == "posix" and mode & 0o077:
        raise bad_input(
            f"Permissions {mode:04o} for {os.fspath(path)} are too open: a private key file must not be readable by group or others. "
            f"Run: chmod 600 {os.fspath(path)}"
        )
    try:
        with open(path, encoding="utf-8") as file:
            return file.read()
    except (OSError, UnicodeDecodeError):
        raise bad_input(f"Cannot read the key file {os.fspath(path)}.") from None


def load_signing_key(path: str | os.PathLike[str], *, allow_insecure_permissions: bool = False) -> SigningKey:
    """Loads a private key file (PEM, JWK or OpenSSH) or an HMAC secret file, as ``signet`` does:
    a file that group or others may read is refused (like ssh), unless explicitly allowed."""
    return import_signing_key(_read_secret_file(path, allow_insecure_permissions))


# --- key generation: the same files as `signet keygen` -------------------------------------------

def _ssh_string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _openssh_private(seed: bytes, public: bytes, comment: str, check: int) -> str:
    """The unencrypted openssh-key-v1 file ssh-keygen writes (check numbers random unless fixed)."""
    blob = _ssh_string(b"ssh-ed25519") + _ssh_string(public)
    section = struct.pack(">II", check, check) + blob + _ssh_string(seed + public) + _ssh_string(comment.encode("utf-8"))
    section += bytes(range(1, 1 + (-len(section) % 8)))
    body = b"openssh-key-v1\0" + _ssh_string(b"none") + _ssh_string(b"none") + _ssh_string(b"") + struct.pack(">I", 1) + _ssh_string(blob) + _ssh_string(section)
    text = base64.b64encode(body).decode("ascii")
    lines = [text[i : i + 70] for i in range(0, len(text), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----\n"


def export_private_key(key: Ed25519Key, fmt: KeyFormat = "pem", comment: str = "", _check: int | None = None) -> str:
    seed = key.private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    if fmt == "openssh":
        return _openssh_private(seed, key.public_raw, comment, secrets.randbits(32) if _check is None else _check)
    if fmt == "jwk":
        return json.dumps({"kty": "OKP", "crv": "Ed25519", "x": b64url(key.public_raw), "d": b64url(seed)}, indent=2) + "\n"
    return key.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode("ascii")


def export_public_key(public_raw: bytes, fmt: KeyFormat = "pem", comment: str = "") -> str:
    if fmt == "jwk":
        return json.dumps({"kty": "OKP", "crv": "Ed25519", "x": b64url(public_raw)}, separators=(",", ":")) + "\n"
    if fmt == "openssh":
        blob = base64.b64encode(_ssh_string(b"ssh-ed25519") + _ssh_string(public_raw)).decode("ascii")
        return f"ssh-ed25519 {blob}{' ' + comment if comment else ''}\n"
    der = bytes.fromhex("302a300506032b6570032100") + public_raw
    return f"-----BEGIN PUBLIC KEY-----\n{base64.b64encode(der).decode('ascii')}\n-----END PUBLIC KEY-----\n"


@dataclass(frozen=True)
class KeyPairFiles:
    private_path: str
    public_path: str
    public_key: str
    """The public key text, ready to upload."""
    key: Ed25519Key


def generate_key_pair(
    path: str | os.PathLike[str], fmt: KeyFormat = "pem", *, public_format: KeyFormat | None = None, comment: str = "", overwrite: bool = False
) -> KeyPairFiles:
    """Generates an Ed25519 key pair and writes it as ``signet keygen`` does: the private key to
    ``path`` (mode 0600), the public key to ``path.pub`` (mode 0644). An existing file is kept."""
    key = Ed25519Key(Ed25519PrivateKey.generate())
    private_path, public_path = os.fspath(path), os.fspath(path) + ".pub"
    public_text = export_public_key(key.public_raw, public_format or fmt, comment)
    for target, text, mode in ((private_path, export_private_key(key, fmt, comment), 0o600), (public_path, public_text, 0o644)):
        flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
        try:
            fd = os.open(target, flags, mode)
        except FileExistsError:
            raise SignetError("conflict", f"{target} already exists; refusing to overwrite a key file.") from None
        except OSError as error:
            raise bad_input(f"Cannot write {target}: {error.strerror}.") from None
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            os.fchmod(file.fileno(), mode)  # the umask and an existing file's mode would otherwise win
            file.write(text)
    return KeyPairFiles(private_path, public_path, public_text, key)
