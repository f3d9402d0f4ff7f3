"""Browser pages of the commissioner app, mounted under /commissioner/."""

from django.urls import include, path

from . import network_views, views

app_name = "commissioner"

urlpatterns = [
    path("", views.portfolio, name="portfolio"),
    path("scan/", views.scan_now, name="scan_now"),
    path("policy/", views.default_policy_edit, name="default_policy"),
    path("network/", network_views.network_portfolio, name="network"),
    path(
        "network/organisations/<slug:slug>/",
        network_views.network_organisation,
        name="network_organisation",
    ),
    path("flags/", views.flag_list, name="flag_list"),
    path("flags/export.csv", views.flag_export, name="flag_export"),
    path("flags/<int:pk>/", views.flag_detail, name="flag_detail"),
    path("flags/<int:pk>/acknowledge/", views.flag_acknowledge, name="flag_acknowledge"),
    path("flags/<int:pk>/resolve/", views.flag_resolve, name="flag_resolve"),
    path(
        "flags/<int:pk>/interventions/new/",
        views.intervention_create,
        name="intervention_create",
    ),
    path(
        "interventions/<int:pk>/complete/",
        views.intervention_complete,
        name="intervention_complete",
    ),
    path(
        "collaborations/<slug:slug>/health/",
        views.collaboration_health,
        name="collaboration_health",
    ),
    path("collaborations/<slug:slug>/check-in/", views.checkin_create, name="checkin_create"),
    path("collaborations/<slug:slug>/policy/", views.policy_edit, name="policy_edit"),
    path("collaborations/<slug:slug>/meetings/", views.meeting_list, name="meeting_list"),
    path("collaborations/<slug:slug>/meetings/new/", views.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/attendance/", views.meeting_attendance, name="meeting_attendance"),
    path("", include("commissioner.survey.urls")),
]
