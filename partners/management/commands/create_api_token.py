"""`manage.py create_api_token <organisation-slug> [--write] [--expires-days N] [--name NAME]`:
issue a partner organisation's API token and print it, once."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from partners.models import Organisation
from partners.services import MAX_TOKEN_DAYS, api_token_create


class Command(BaseCommand):
    help = (
        "Issue an API token for a partner organisation and print it. Only a hash is stored: "
        "the token cannot be shown again."
    )

    def add_arguments(self, parser):
        parser.add_argument("organisation", help="the organisation's slug")
        parser.add_argument(
            "--write", action="store_true", help="a read-write token (default: read-only)"
        )
        parser.add_argument(
            "--expires-days",
            type=int,
            default=None,
            help=f"expire after this many days (1-{MAX_TOKEN_DAYS}; default: never)",
        )
        parser.add_argument("--name", default="", help="what will use the token")

    def handle(self, *args, **options):
        slug = options["organisation"]
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            raise CommandError(f"No organisation has the slug {slug!r}.")
        if not organisation.is_active:
            raise CommandError(f"{organisation.name} is inactive; reactivate it first.")
        days = options["expires_days"]
        if days is not None and not 1 <= days <= MAX_TOKEN_DAYS:
            raise CommandError(f"--expires-days must be between 1 and {MAX_TOKEN_DAYS}.")
        name = options["name"].strip() or f"Issued {timezone.localdate():%Y-%m-%d}"
        if len(name) > 100:
            raise CommandError("--name has at most 100 characters.")
        token, raw = api_token_create(
            organisation=organisation,
            name=name,
            write_enabled=options["write"],
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )
        scope = "read-write" if token.write_enabled else "read-only"
        expiry = (
            f"expires {token.expires_at:%Y-%m-%d %H:%M %Z}" if token.expires_at else "no expiry"
        )
        self.stderr.write(
            f"Issued {scope} token {token.name!r} ({token.prefix}) for {organisation.name}, "
            f"{expiry}. Copy it now: it will not be shown again."
        )
        self.stdout.write(raw)
