"""Browser pages of the agreements app, mounted under /collaborations/.

Fixed paths come before `<slug>/`; services.RESERVED_SLUGS keeps collaborations off them."""

from django.urls import path

from . import advisor_views, timeline_views, views
from .explainers import url_part
from .models import Structure

app_name = "agreements"

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
    path("<slug:slug>/", views.collaboration_detail, name="collaboration_detail"),
    path("<slug:slug>/edit/", views.collaboration_edit, name="collaboration_edit"),
    path("<slug:slug>/status/", views.collaboration_status, name="collaboration_status"),
    path(
        "<slug:slug>/timeline/",
        timeline_views.collaboration_timeline_page,
        name="collaboration_timeline",
    ),
    path("<slug:slug>/participations/new/", views.participation_add, name="participation_add"),
    path(
        "<slug:slug>/participations/contact-options/",
        views.participation_contact_options,
        name="participation_contact_options",
    ),
    path(
        "<slug:slug>/participations/<int:pk>/edit/",
        views.participation_edit,
        name="participation_edit",
    ),
    path(
        "<slug:slug>/participations/<int:pk>/withdraw/",
        views.participation_withdraw,
        name="participation_withdraw",
    ),
    path("<slug:slug>/goals/new/", views.goal_create, name="goal_create"),
    path("<slug:slug>/goals/<int:pk>/", views.goal_detail, name="goal_detail"),
    path("<slug:slug>/goals/<int:pk>/edit/", views.goal_edit, name="goal_edit"),
    path(
        "<slug:slug>/goals/<int:pk>/measurements/new/",
        views.measurement_add,
        name="measurement_add",
    ),
    path(
        "<slug:slug>/goals/<int:pk>/measurements/<int:measurement_pk>/correct/",
        views.measurement_correct,
        name="measurement_correct",
    ),
    path(
        "<slug:slug>/goals/<int:pk>/measurements/<int:measurement_pk>/withdraw/",
        views.measurement_withdraw,
        name="measurement_withdraw",
    ),
    path("<slug:slug>/agreements/new/", views.agreement_create, name="agreement_create"),
    path("<slug:slug>/agreements/<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("<slug:slug>/agreements/<int:pk>/edit/", views.agreement_edit, name="agreement_edit"),
    path(
        "<slug:slug>/agreements/<int:pk>/status/",
        views.agreement_status,
        name="agreement_status",
    ),
    path("<slug:slug>/agreements/<int:pk>/sign/", views.agreement_sign, name="agreement_sign"),
    path(
        "<slug:slug>/agreements/<int:pk>/document/",
        views.agreement_document,
        name="agreement_document",
    ),
    path("<slug:slug>/obligations/new/", views.obligation_create, name="obligation_create"),
    path(
        "<slug:slug>/obligations/<int:pk>/edit/",
        views.obligation_edit,
        name="obligation_edit",
    ),
    path(
        "<slug:slug>/obligations/<int:pk>/met/",
        views.obligation_mark_met,
        name="obligation_mark_met",
    ),
    path(
        "<slug:slug>/obligations/<int:pk>/evidence-file/",
        views.obligation_evidence_file,
        name="obligation_evidence_file",
    ),
    path(
        "<slug:slug>/obligations/<int:pk>/waive/",
        views.obligation_waive,
        name="obligation_waive",
    ),
]
