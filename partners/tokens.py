"""API token format and hashing: `chb_<prefix>_<secret>`; only HMAC-SHA256(pepper, token) is
stored, so a database leak gives no usable credential (NetBox v2 tokens work the same way)."""

import hashlib
import hmac
import secrets

from django.conf import settings

TOKEN_SCHEME = "chb"  # noqa: S105 - a public scheme name, not a secret
PREFIX_LENGTH = 8
SECRET_BYTES = 32


def _pepper() -> bytes:
    pepper = settings.API_TOKEN_PEPPER or settings.SECRET_KEY
    return pepper.encode()


def token_digest(raw_token: str) -> str:
    return hmac.new(_pepper(), raw_token.encode(), hashlib.sha256).hexdigest()


def token_generate() -> tuple[str, str]:
    """A new (prefix, full token). The prefix is public and identifies the token in lists."""
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return prefix, f"{TOKEN_SCHEME}_{prefix}_{secret}"


def token_prefix(raw_token: str) -> str | None:
    parts = raw_token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_SCHEME or len(parts[1]) != PREFIX_LENGTH:
        return None
    return parts[1]
