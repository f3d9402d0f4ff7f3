"""Browser pages of the partners app."""

from django.urls import path  # noqa: F401

app_name = "partners"

urlpatterns: list = []
