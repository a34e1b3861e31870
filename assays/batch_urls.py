"""Addresses of batches (assays.batch_views, assays.batch_api), included by lims.urls."""

from django.urls import path

from assays import batch_api, batch_views

urlpatterns = [
    path("batches/", batch_views.batch_list, name="batch_list"),
    path("batches/new/", batch_views.batch_create, name="batch_create"),
    path("batches/<int:batch_pk>/", batch_views.batch_detail, name="batch_detail"),
    path("batches/<int:batch_pk>/sequence/<str:vendor>/", batch_views.batch_sequence, name="batch_sequence"),
    path("batches/<int:batch_pk>/cancel/", batch_views.batch_cancel, name="batch_cancel"),
    path("batches/<int:batch_pk>/import/", batch_views.batch_run_upload, name="batch_run_upload"),
]

api_urlpatterns = [
    path("batches/", batch_api.BatchListApi.as_view(), name="api_batch_list"),
    path("batches/<int:batch_pk>/", batch_api.BatchDetailApi.as_view(), name="api_batch_detail"),
    path(
        "batches/<int:batch_pk>/sequence/<str:vendor>/", batch_api.BatchSequenceApi.as_view(), name="api_batch_sequence"
    ),
    path("batches/<int:batch_pk>/cancel/", batch_api.BatchCancelApi.as_view(), name="api_batch_cancel"),
    path("batches/<int:batch_pk>/runs/", batch_api.BatchRunApi.as_view(), name="api_batch_run"),
    path("runs/<int:run_pk>/batch-match/", batch_api.RunBatchMatchApi.as_view(), name="api_run_batch_match"),
]
