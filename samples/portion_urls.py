"""Addresses of retained portions: the sample's portions page and its forms (`urlpatterns`), and the
API (`api_urlpatterns`, under /api/v1/)."""

from django.urls import path

from samples import portion_api as api
from samples import portion_views as views

urlpatterns = [
    path("samples/<str:code>/portions/", views.sample_portions, name="sample_portions"),
    path("samples/<str:code>/portions/keep/", views.portion_retain, name="portion_retain"),
    path("samples/<str:code>/portions/<int:portion_pk>/move/", views.portion_move, name="portion_move"),
    path("samples/<str:code>/portions/<int:portion_pk>/dispose/", views.portion_dispose, name="portion_dispose"),
]

api_urlpatterns = [
    path("samples/<str:code>/portions/", api.SamplePortionListApi.as_view(), name="api_sample_portions"),
    path("samples/<str:code>/portions/<int:portion_pk>/move/", api.PortionMoveApi.as_view(), name="api_portion_move"),
    path(
        "samples/<str:code>/portions/<int:portion_pk>/dispose/",
        api.PortionDisposeApi.as_view(),
        name="api_portion_dispose",
    ),
]
