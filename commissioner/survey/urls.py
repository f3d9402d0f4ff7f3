"""Survey pages, included by commissioner/urls.py under /commissioner/ (in its namespace)."""

from django.urls import path

from . import views

urlpatterns = [
    path("collaborations/<slug:slug>/survey/", views.round_list, name="survey_rounds"),
    path(
        "collaborations/<slug:slug>/survey/cadence/",
        views.schedule_edit,
        name="survey_schedule",
    ),
    path("survey/rounds/<int:pk>/", views.results, name="survey_results"),
    path("survey/rounds/<int:pk>/export.csv", views.results_export, name="survey_export"),
    path("survey/respond/<str:token>/", views.respond, name="survey_respond"),
]
