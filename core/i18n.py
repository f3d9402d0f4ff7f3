"""Which language a reader gets. A signed-in person's stored choice comes first; an anonymous
visitor gets the language of the switcher's cookie, else of their browser (Django's
LocaleMiddleware); the API answers in the Accept-Language of each request, never a cookie (a
partner's program shares no session with a browser). E-mails are written in the recipient's
own language with `recipient_language()` and `translation.override()`. The switcher's view,
which stores a signed-in person's choice, is partners/views.py: set_language."""

from django.conf import settings
from django.utils import translation
from django.utils.translation.trans_real import (
    get_supported_language_variant,
    parse_accept_lang_header,
)

# The API, its schema and its documentation page: they answer in the request's Accept-Language, or
# in the language a `?lang=` names (drf-spectacular's own parameter for the schema; base.html's
# link to the documentation passes the reader's). No database is read to choose it.
API_PREFIX = "/api/"


def supported(code: str | None) -> str | None:
    """The supported language for `code` ("fr-CA" -> "fr"), or None."""
    if not code:
        return None
    try:
        return get_supported_language_variant(code)
    except LookupError:
        return None


def accept_language(request) -> str:
    """The first supported language of the request's Accept-Language header, else the default."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            break
        language = supported(code)
        if language:
            return language
    return settings.LANGUAGE_CODE


def recipient_language(person) -> str:
    """The language to write to a user or a contact in: their preferred one, else the default."""
    return language_or_default(getattr(person, "preferred_language", ""))


class ReaderLanguageMiddleware:
    """After LocaleMiddleware and authentication: the API reads Accept-Language only; a page for
    a signed-in person is in the language stored on them, when they chose one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = None
        if request.path.startswith(API_PREFIX):
            language = supported(request.GET.get("lang")) or accept_language(request)
        else:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                language = supported(user.preferred_language)
        if language and language != getattr(request, "LANGUAGE_CODE", None):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


def language_or_default(code: str | None) -> str:
    """A stored preference as a supported language; the deployment's language when none."""
    return supported(code) or settings.LANGUAGE_CODE


def written_in(language: str | None, build, *args, **kwargs):
    """`build(*args, **kwargs)` (an e-mail) with every string in `language` (a code, possibly
    empty: the deployment's language)."""
    with translation.override(language_or_default(language)):
        return build(*args, **kwargs)
