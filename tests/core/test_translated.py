"""core/translated.py and its template filters: the reader's version of a text, else another
language's in its own `lang` with a visible marker; text is escaped either way."""

from django.template import Context, Template
from django.utils import translation

from core.translated import Translated, ordering_for, translated, versions_of, with_versions


def render(source, template: str) -> str:
    return Template("{% load translated %}" + template).render(Context({"row": source}))


def test_the_readers_version_comes_first_then_the_other():
    row = {"title_en": "Roads", "title_fr": "Chemins"}
    assert translated(row, "title", "fr") == Translated("Chemins", "fr")
    assert translated(row, "title", "en") == Translated("Roads", "en")
    assert translated({"title_en": "", "title_fr": "Chemins"}, "title", "en-ca") == Translated(
        "Chemins", "fr", fallback=True
    )
    assert translated({"title_en": None, "title_fr": ""}, "title", "en") == Translated("", "en")


def test_a_fallback_is_marked_in_the_readers_language_and_keeps_its_own_lang():
    row = {"title_en": "", "title_fr": "Ponts <et> chaussées"}
    with translation.override("en"):
        html = render(row, '{{ row|translated:"title" }}')
        assert html == (
            '<span class="lang-fallback" lang="fr">Ponts &lt;et&gt; chaussées</span> '
            '<small class="lang-marker">(in French)</small>'
        )
        assert render(row, '{{ row|translated_text:"title" }}') == (
            "Ponts &lt;et&gt; chaussées (in French)"
        )
    with translation.override("fr"):
        assert render(row, '{{ row|translated:"title" }}') == "Ponts &lt;et&gt; chaussées"
        english_only = {"title_en": "Roads", "title_fr": ""}
        assert "(en anglais)" in render(english_only, '{{ row|translated:"title" }}')


def test_paragraphs_are_marked_as_a_block():
    row = {"vision_en": "", "vision_fr": "Un.\n\nDeux."}
    with translation.override("en"):
        html = render(row, '{{ row|translated_paragraphs:"vision" }}')
    assert html == (
        '<div class="lang-fallback" lang="fr"><p>Un.</p>\n\n<p>Deux.</p></div>'
        '<p class="lang-marker">(in French)</p>'
    )


def test_a_field_without_a_language_is_the_readers_version():
    with translation.override("fr"):
        assert versions_of({"title": "Ponts", "unit": "x"}, ["title"]) == {"title_fr": "Ponts"}
        assert versions_of({"title": "Ponts", "title_fr": "Chemins"}, ["title"]) == {
            "title_fr": "Chemins"
        }


def test_searches_and_orderings_cover_every_version():
    from agreements.models import Collaboration
    from commissioner.models import Flag

    assert with_versions(Collaboration, ["^title", "slug"]) == ["^title_en", "^title_fr", "slug"]
    assert with_versions(Flag, ["participation__collaboration__title"]) == [
        "participation__collaboration__title_en",
        "participation__collaboration__title_fr",
    ]
    with translation.override("fr"):
        first, pk = ordering_for(Collaboration, ["-title", "pk"])
    assert pk == "pk" and first.descending
    assert "title_fr" in str(first)
