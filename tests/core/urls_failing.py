"""The project's URLs plus two views that fail, to see the 500 handlers collabhub.urls declares."""

from django.urls import path

from collabhub.urls import handler404, handler500
from collabhub.urls import urlpatterns as project_urlpatterns


def fail(request):
    raise RuntimeError("an unexpected failure")


urlpatterns = [
    path("api/v1/test-failure/", fail),
    path("test-failure/", fail),
    *project_urlpatterns,
]

__all__ = ["handler404", "handler500", "urlpatterns"]
