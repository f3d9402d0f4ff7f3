"""`{% structure_link collaboration.structure %}`: a structure's name linked to its plain-language
explainer page, wherever a structure is named."""

from django import template
from django.utils.html import format_html

from agreements.explainers import explainer_url
from agreements.models import Structure

register = template.Library()


@register.simple_tag
def structure_link(structure: str, css: str = ""):
    if structure not in Structure.values:
        return structure
    label = Structure(structure).label
    if css:
        return format_html('<a class="{}" href="{}">{}</a>', css, explainer_url(structure), label)
    return format_html('<a href="{}">{}</a>', explainer_url(structure), label)
