"""Addresses of preparation: the sample's preparation page and its step forms (`urlpatterns`), and the
API (`api_urlpatterns`, under /api/v1/)."""

from django.urls import path

from assays import preparation_api as api
from assays import preparation_views as views

urlpatterns = [
    path("samples/<str:code>/preparation/", views.sample_preparation, name="sample_preparation"),
    path("samples/<str:code>/preparation/<slug:step>/", views.sample_preparation_step, name="sample_preparation_step"),
]

api_urlpatterns = [
    path("balances/", api.BalanceListApi.as_view(), name="api_balance_list"),
    path("balances/<int:ref_pk>/", api.BalanceDetailApi.as_view(), name="api_balance_detail"),
    path("preparation-specs/", api.PreparationSpecListApi.as_view(), name="api_preparation_spec_list"),
    path("preparation-specs/<int:ref_pk>/", api.PreparationSpecDetailApi.as_view(), name="api_preparation_spec_detail"),
    path("samples/<str:code>/preparation/", api.SamplePreparationApi.as_view(), name="api_sample_preparation"),
    path("samples/<str:code>/preparation/drying/", api.PreparationDryingApi.as_view(), name="api_prep_drying"),
    path("samples/<str:code>/preparation/sizing/", api.PreparationSizingApi.as_view(), name="api_prep_sizing"),
    path("samples/<str:code>/preparation/aliquot/", api.PreparationAliquotApi.as_view(), name="api_prep_aliquot"),
    path("samples/<str:code>/preparation/steps/", api.PreparationStepApi.as_view(), name="api_prep_step"),
    path("runs/<int:run_pk>/preparation/", api.RunPreparationApi.as_view(), name="api_run_preparation"),
]
