"""The application's URLs plus the floor views the API benchmark compares with."""

from django.urls import path

from collabhub.urls import handler404, handler500
from collabhub.urls import urlpatterns as app_urlpatterns

from .list_floor import floor_list

urlpatterns = [
    path("bench/floor/<str:resource>/", floor_list, name="bench-floor"),
    *app_urlpatterns,
]

__all__ = ["handler404", "handler500", "urlpatterns"]
