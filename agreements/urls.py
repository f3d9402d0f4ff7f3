"""Browser pages of the agreements app, mounted under /collaborations/.

Fixed paths come before `<slug>/`; services.RESERVED_SLUGS keeps collaborations off them."""

from django.urls import include, path

from . import advisor_views, timeline_views, views
from .explainers import url_part
from .models import Structure

app_name = "agreements"

# A collaboration's pages, under /collaborations/<slug>/; ids are of the collaboration's objects.
participation_pages = [
    path("new/", views.participation_add, name="participation_add"),
    path(
        "contact-options/",
        views.participation_contact_options,
        name="participation_contact_options",
    ),
    path("<int:pk>/edit/", views.participation_edit, name="participation_edit"),
    path("<int:pk>/withdraw/", views.participation_withdraw, name="participation_withdraw"),
]
measurement_pages = [
    path("new/", views.measurement_add, name="measurement_add"),
    path("<int:measurement_pk>/correct/", views.measurement_correct, name="measurement_correct"),
    path("<int:measurement_pk>/withdraw/", views.measurement_withdraw, name="measurement_withdraw"),
]
goal_pages = [
    path("new/", views.goal_create, name="goal_create"),
    path("<int:pk>/", views.goal_detail, name="goal_detail"),
    path("<int:pk>/edit/", views.goal_edit, name="goal_edit"),
    path("<int:pk>/measurements/", include(measurement_pages)),
]
agreement_pages = [
    path("new/", views.agreement_create, name="agreement_create"),
    path("<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("<int:pk>/edit/", views.agreement_edit, name="agreement_edit"),
    path("<int:pk>/status/", views.agreement_status, name="agreement_status"),
    path("<int:pk>/sign/", views.agreement_sign, name="agreement_sign"),
    path("<int:pk>/document/", views.agreement_document, name="agreement_document"),
]
obligation_pages = [
    path("new/", views.obligation_create, name="obligation_create"),
    path("<int:pk>/edit/", views.obligation_edit, name="obligation_edit"),
    path("<int:pk>/met/", views.obligation_mark_met, name="obligation_mark_met"),
    path(
        "<int:pk>/evidence-file/", views.obligation_evidence_file, name="obligation_evidence_file"
    ),
    path("<int:pk>/waive/", views.obligation_waive, name="obligation_waive"),
]
collaboration_pages = [
    path("", views.collaboration_detail, name="collaboration_detail"),
    path("edit/", views.collaboration_edit, name="collaboration_edit"),
    path("status/", views.collaboration_status, name="collaboration_status"),
    path("timeline/", timeline_views.collaboration_timeline_page, name="collaboration_timeline"),
    path("history/", views.collaboration_history, name="collaboration_history"),
    path("participations/", include(participation_pages)),
    path("goals/", include(goal_pages)),
    path("agreements/", include(agreement_pages)),
    path("obligations/", include(obligation_pages)),
]

urlpatterns = [
    path("", views.collaboration_list, name="collaboration_list"),
    path("export.csv", views.collaboration_export, name="collaboration_export"),
    *(
        path(
            f"export/{kind}.csv",
            views.collaboration_export,
            {"kind": kind},
            name=f"{kind[:-1]}_export",
        )
        for kind in ("participations", "obligations", "measurements")
    ),
    path("new/", views.collaboration_create, name="collaboration_create"),
    path("new/structure/", advisor_views.structure_advisor, name="structure_advisor"),
    path("structures/", advisor_views.structure_index, name="structure_index"),
    *(
        path(
            f"structures/{url_part(structure)}/",
            advisor_views.structure_explainer,
            {"structure": structure},
            name=f"structure_{structure}",
        )
        for structure in Structure.values
    ),
    path("<slug:slug>/", include(collaboration_pages)),
]
