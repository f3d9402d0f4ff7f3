"""Partner API use as a sign of life, credited to the collaboration the request touched."""

from __future__ import annotations

from partners.principals import is_partner


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
    """Mixed into the API base viewsets: after a successful partner request that touched one
    collaboration — an object of it, or a list filtered to it — the organisation's
    participation in that collaboration gets its daily "API use" activity. A request that
    touched none (the organisation's own details, an unfiltered list) credits nothing: a partner
    silent in one collaboration must not look alive because it uses the API for another."""

    def get_object(self):
        obj = super().get_object()
        self.touched_collaboration_id = collaboration_id_of(obj)
        return obj

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if is_partner(getattr(request, "user", None)) and 200 <= response.status_code < 300:
            collaboration_id = getattr(self, "touched_collaboration_id", None)
            if collaboration_id is None:
                value = request.query_params.get("collaboration", "")
                collaboration_id = int(value) if value.isdigit() and len(value) < 12 else None
            if collaboration_id is not None:
                from commissioner.services import api_use_record

                api_use_record(
                    organisation_id=request.user.organisation_id,
                    collaboration_id=collaboration_id,
                )
        return response
