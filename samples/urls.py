from django.urls import path

from samples import views

urlpatterns = [
    path("lots/", views.lot_list, name="lot_list"),
    path("lots/new/", views.lot_create, name="lot_create"),
    path("lots/<int:lot_pk>/", views.lot_detail, name="lot_detail"),
    path("lots/<int:lot_pk>/close/", views.lot_close, name="lot_close"),
    path("lots/<int:lot_pk>/samples/new/", views.sample_register, name="sample_register"),
    path("samples/", views.sample_list, name="sample_list"),
    path("samples/<str:code>/", views.sample_detail, name="sample_detail"),
    path("samples/<str:code>/seal/", views.sample_seal, name="sample_seal"),
    path("samples/<str:code>/hand-over/", views.sample_hand_over, name="sample_hand_over"),
    path("samples/<str:code>/recall/", views.sample_recall, name="sample_recall"),
    path("samples/<str:code>/receive/", views.sample_receive, name="sample_receive"),
    path("samples/<str:code>/prepare/", views.sample_prepare, name="sample_prepare"),
    path("samples/<str:code>/store/", views.sample_store, name="sample_store"),
    path("samples/<str:code>/dispose/", views.sample_dispose, name="sample_dispose"),
    path("samples/<str:code>/label/", views.sample_label, name="sample_label"),
    path("nonconformances/", views.nonconformance_list, name="nonconformance_list"),
    path("nonconformances/<int:nc_pk>/resolve/", views.nonconformance_resolve, name="nonconformance_resolve"),
]
