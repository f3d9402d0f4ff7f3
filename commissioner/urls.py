"""Browser pages of the commissioner app, mounted under /commissioner/."""

from django.urls import include, path

from . import network_views, views

app_name = "commissioner"

flag_pages = [
    path("", views.flag_list, name="flag_list"),
    path("export.csv", views.flag_export, name="flag_export"),
    path("<int:pk>/", views.flag_detail, name="flag_detail"),
    path("<int:pk>/acknowledge/", views.flag_acknowledge, name="flag_acknowledge"),
    path("<int:pk>/resolve/", views.flag_resolve, name="flag_resolve"),
    path("<int:pk>/interventions/new/", views.intervention_create, name="intervention_create"),
]
# A collaboration's commissioner pages, under /commissioner/collaborations/<slug>/.
collaboration_pages = [
    path("health/", views.collaboration_health, name="collaboration_health"),
    path("check-in/", views.checkin_create, name="checkin_create"),
    path("policy/", views.policy_edit, name="policy_edit"),
    path("meetings/", views.meeting_list, name="meeting_list"),
    path("meetings/new/", views.meeting_create, name="meeting_create"),
]

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
    path("flags/", include(flag_pages)),
    path(
        "interventions/<int:pk>/complete/",
        views.intervention_complete,
        name="intervention_complete",
    ),
    path("collaborations/<slug:slug>/", include(collaboration_pages)),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/attendance/", views.meeting_attendance, name="meeting_attendance"),
    path("", include("commissioner.survey.urls")),
]
