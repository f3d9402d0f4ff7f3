"""Template context every page needs: the navigation for the signed-in user's role."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# (url name, label, roles that see it; None = everyone signed in). Apps add their entries here
# as their pages land; a name that does not resolve yet is skipped.
NAVIGATION = [
    ("home", _("Home"), None),
    ("partners:organisation_list", _("Organisations"), None),
    ("agreements:collaboration_list", _("Collaborations"), None),
    ("commissioner:portfolio", _("Dashboard"), {"commissioner", "administrator"}),
    ("commissioner:flag_list", _("Flags"), {"commissioner", "administrator"}),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    role = getattr(user, "role", None)
    items = []
    for name, label, roles in NAVIGATION:
        if roles is not None and role not in roles and not user.is_superuser:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        current = request.path == url or (url != "/" and request.path.startswith(url))
        items.append({"url": url, "label": label, "current": current})
    return {"nav_items": items}
