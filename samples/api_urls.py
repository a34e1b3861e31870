from django.urls import path

from samples import api

urlpatterns = [
    path("materials/", api.MaterialListApi.as_view(), name="api_material_list"),
    path("lots/", api.LotListApi.as_view(), name="api_lot_list"),
    path("lots/<int:lot_pk>/", api.LotDetailApi.as_view(), name="api_lot_detail"),
    path("lots/<int:lot_pk>/close/", api.LotCloseApi.as_view(), name="api_lot_close"),
    path("samples/", api.SampleListApi.as_view(), name="api_sample_list"),
    path("samples/register/", api.SampleRegisterApi.as_view(), name="api_sample_register"),
    path("samples/<str:code>/", api.SampleDetailApi.as_view(), name="api_sample_detail"),
    path("samples/<str:code>/events/", api.SampleEventsApi.as_view(), name="api_sample_events"),
    path("samples/<str:code>/split/", api.SampleSplitApi.as_view(), name="api_sample_split"),
    path("samples/<str:code>/seal/", api.SampleSealApi.as_view(), name="api_sample_seal"),
    path("samples/<str:code>/hand-over/", api.SampleHandOverApi.as_view(), name="api_sample_hand_over"),
    path("samples/<str:code>/recall/", api.SampleRecallApi.as_view(), name="api_sample_recall"),
    path("samples/<str:code>/receive/", api.SampleReceiveApi.as_view(), name="api_sample_receive"),
    path("samples/<str:code>/prepare/", api.SamplePrepareApi.as_view(), name="api_sample_prepare"),
    path("samples/<str:code>/store/", api.SampleStoreApi.as_view(), name="api_sample_store"),
    path("samples/<str:code>/dispose/", api.SampleDisposeApi.as_view(), name="api_sample_dispose"),
    path("nonconformances/", api.NonconformanceListApi.as_view(), name="api_nonconformance_list"),
    path("nonconformances/<int:nc_pk>/", api.NonconformanceDetailApi.as_view(), name="api_nonconformance_detail"),
    path(
        "nonconformances/<int:nc_pk>/resolve/",
        api.NonconformanceResolveApi.as_view(),
        name="api_nonconformance_resolve",
    ),
]
