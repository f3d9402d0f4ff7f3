"""Every write of the partners app: organisations, contacts, staff and API tokens."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ApiToken, Organisation
from .tokens import token_digest, token_generate, token_prefix

# last_used_at is written at most this often, so a busy token does not write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@transaction.atomic
def api_token_create(
    *,
    organisation: Organisation,
    name: str,
    write_enabled: bool = False,
    expires_at=None,
    created_by=None,
) -> tuple[ApiToken, str]:
    """Issue a token; returns it and the full secret, which is never retrievable again."""
    prefix, raw = token_generate()
    token = ApiToken.objects.create(
        organisation=organisation,
        name=name,
        prefix=prefix,
        digest=token_digest(raw),
        write_enabled=write_enabled,
        expires_at=expires_at,
        created_by=created_by,
    )
    return token, raw


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, raw_token: str) -> tuple[ApiToken | None, str]:
    """The token a raw bearer value names, or None and the reason it was refused."""
    if token_prefix(raw_token) is None:
        return None, _("Invalid token.")
    token = (
        ApiToken.objects.select_related("organisation")
        .filter(digest=token_digest(raw_token))
        .first()
    )
    if token is None:
        return None, _("Invalid token.")
    if token.revoked_at is not None:
        return None, _("This token has been revoked.")
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None, _("This token has expired.")
    if not token.organisation.is_active:
        return None, _("This token's organisation is inactive.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
        # API use is a sign of life for the commissioner (at most once a day per collaboration).
        from commissioner.services import api_use_record

        api_use_record(organisation_id=token.organisation_id, when=now)
    return token, ""
