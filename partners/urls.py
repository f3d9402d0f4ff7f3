"""Browser pages of the partners app, mounted under /organisations/.

Fixed paths come before `<slug>/`; services.RESERVED_SLUGS keeps organisations off them."""

from django.urls import path

from . import import_views, pickers, views

app_name = "partners"

urlpatterns = [
    path("", views.organisation_list, name="organisation_list"),
    path("export.csv", views.organisation_export, name="organisation_export"),
    path("new/", views.organisation_create, name="organisation_create"),
    path("import/", import_views.import_start, name="import_start"),
    path("imports/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:pk>/confirm/", import_views.import_confirm, name="import_confirm"),
    path("people/", views.people_list, name="people_list"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    # The suggestions of the pickers (partners/pickers.py), one route for every scope.
    path("pick/", pickers.picker_suggestions, name="picker_suggestions"),
    path("<slug:slug>/", views.organisation_detail, name="organisation_detail"),
    path("<slug:slug>/edit/", views.organisation_edit, name="organisation_edit"),
    path("<slug:slug>/deactivate/", views.organisation_deactivate, name="organisation_deactivate"),
    path("<slug:slug>/contacts/new/", views.contact_create, name="contact_create"),
    path("<slug:slug>/contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("<slug:slug>/tokens/new/", views.token_issue, name="token_issue"),
    path("<slug:slug>/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
