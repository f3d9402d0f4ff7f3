"""The agreements app's picker scopes (partners/pickers.py): the organisations and people a
collaboration's forms offer. The views build their form fields' querysets from the same
functions, so a suggestion is exactly a choice the form accepts."""

from __future__ import annotations

from django.db.models import QuerySet

from core.actors import actor_organisation_id
from partners.models import Organisation
from partners.pickers import OrganisationChoiceField, UserChoiceField, register_scope, require
from partners.selectors import organisation_choices_for

from . import selectors
from .access import may_create_collaboration, may_manage_collaboration


def lead_choices(actor, keep_pk=None) -> QuerySet[Organisation]:
    """Staff lead with their own organisation; administrators and commissioners choose."""
    if not (actor.is_administrator or actor.role == "commissioner"):
        own = actor_organisation_id(actor)
        return Organisation.objects.filter(pk=own).only("pk", "name", "short_name", "slug")
    return organisation_choices_for(actor=actor, keep_pk=keep_pk)


def new_participant_choices(actor, collaboration) -> QuerySet[Organisation]:
    """Active organisations of the directory that do not take part yet."""
    return (
        organisation_choices_for(actor=actor)
        .exclude(participations__collaboration=collaboration)
        .filter(is_active=True)
    )


def lead_choices_when_editing(collaboration) -> QuerySet[Organisation]:
    return selectors.participant_organisations(
        collaboration=collaboration, also=(collaboration.lead_organisation_id,)
    )


def _managed_collaboration(request, slug):
    collaboration = selectors.collaboration_get_for(actor=request.user, slug=slug)
    require(may_manage_collaboration(request.user, collaboration))
    return collaboration


@register_scope("lead", field_class=OrganisationChoiceField)
def _lead_scope(request) -> QuerySet:
    require(may_create_collaboration(request.user))
    return lead_choices(request.user)


@register_scope("participants", field_class=OrganisationChoiceField, params=("collaboration",))
def _participants_scope(request, *, collaboration: str) -> QuerySet:
    return lead_choices_when_editing(_managed_collaboration(request, collaboration))


@register_scope("new-participants", field_class=OrganisationChoiceField, params=("collaboration",))
def _new_participants_scope(request, *, collaboration: str) -> QuerySet:
    return new_participant_choices(request.user, _managed_collaboration(request, collaboration))


@register_scope("commissioners", field_class=UserChoiceField)
def _commissioners_scope(request) -> QuerySet:
    return selectors.commissioner_choices()
