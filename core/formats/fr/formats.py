"""French as written in Canada: Django's fr_CA formats (ISO short dates, "13 h 40"), with a
non-breaking space between thousands, as the Government of Canada writes 1 234,50 $."""

from django.conf.locale.fr_CA.formats import *  # noqa: F403

THOUSAND_SEPARATOR = "\xa0"
