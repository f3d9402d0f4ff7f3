"""Partner API use as a sign of life, credited to the collaboration the request touched."""

from __future__ import annotations

from commissioner.services import api_use_record
from core.actors import is_partner


def collaboration_id_of(obj) -> int | None:
    """The collaboration an object of the API belongs to (None: none, e.g. an organisation)."""
    from agreements.models import Collaboration

    if isinstance(obj, Collaboration):
        return obj.pk
    for path in ("collaboration_id", "goal.collaboration_id", "participation.collaboration_id"):
        value = obj
        for name in path.split("."):
            value = getattr(value, name, None)
        if isinstance(value, int):
            return value
    return None


class CreditsApiUse:
    """Mixed into the API base viewsets: a partner request that touches one collaboration — an
    object of it, or a list filtered to it — gives the organisation's participation in that
    collaboration its daily "API use" activity. A request that touches none (the organisation's
    own details, an unfiltered list) credits nothing: a partner silent in one collaboration
    must not look alive because it uses the API for another.

    Recorded where the object is fetched, so inside a write's transaction: a write that fails
    records nothing, and a failure recording it fails the request as a whole."""

    def get_object(self):
        obj = super().get_object()
        self._credit_api_use(collaboration_id_of(obj))
        return obj

    def list(self, request, *args, **kwargs):
        value = request.query_params.get("collaboration", "")
        if value.isdigit() and len(value) < 12:
            self._credit_api_use(int(value))
        return super().list(request, *args, **kwargs)

    def _credit_api_use(self, collaboration_id: int | None) -> None:
        user = getattr(self.request, "user", None)
        if collaboration_id is not None and is_partner(user):
            api_use_record(organisation_id=user.organisation_id, collaboration_id=collaboration_id)
