"""Content written in English, French or both, shown in the reader's language; when only the
other language's version exists it stands in, in its own `lang` (WCAG 3.1.2, language of parts)
and marked "(in French)" / « (en anglais) » (core/translated.py).

    {% load translated %}
    {{ collaboration|translated:"title" }}          inline, in a heading, a link or a table cell
    {{ collaboration|translated:"summary"|linebreaksbr }}
    {{ collaboration|translated_paragraphs:"shared_vision" }}   paragraphs (linebreaks)
    {{ row|translated:"collaboration__title" }}     a values() row with both versions
    {{ hit.title|translated }}                      an already chosen core.translated.Translated
    {{ collaboration|translated_text:"title" }}     plain text, the marker in words (attributes)
"""

from django import template
from django.template.defaultfilters import linebreaks_filter
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from core.translated import Translated, translated

register = template.Library()


def _chosen(value, name) -> Translated:
    if isinstance(value, Translated) or name is None:
        return value if isinstance(value, Translated) else Translated(str(value or ""), "")
    return translated(value, name)


def _marked(text: Translated, body: SafeString, *, block: bool = False) -> SafeString:
    if not text.fallback:
        return body
    if block:
        return format_html(
            '<div class="lang-fallback" lang="{}">{}</div><p class="lang-marker">{}</p>',
            text.language,
            body,
            text.marker,
        )
    return format_html(
        '<span class="lang-fallback" lang="{}">{}</span> <small class="lang-marker">{}</small>',
        text.language,
        body,
        text.marker,
    )


@register.filter
def translated_version(value, name=None) -> Translated:
    """The version a reader gets, as a Translated (for `{% with %}` and tests)."""
    return _chosen(value, name)


@register.filter(name="translated", needs_autoescape=True)
def translated_filter(value, name=None, autoescape=True) -> SafeString:
    text = _chosen(value, name)
    body = conditional_escape(text.text) if autoescape else mark_safe(text.text)  # noqa: S308
    return _marked(text, body)


@register.filter(needs_autoescape=True)
def translated_paragraphs(value, name=None, autoescape=True) -> SafeString:
    text = _chosen(value, name)
    return _marked(text, linebreaks_filter(text.text, autoescape=autoescape), block=True)


@register.filter
def translated_text(value, name=None) -> str:
    return _chosen(value, name).text_with_marker
