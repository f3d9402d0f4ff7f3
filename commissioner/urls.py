"""Browser pages of the commissioner app."""

from django.urls import path  # noqa: F401

app_name = "commissioner"

urlpatterns: list = []
