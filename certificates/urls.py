from django.urls import path

from certificates import views

urlpatterns = [
    path("certificates/", views.certificate_list, name="certificate_list"),
    path("certificates/request/", views.certificate_request, name="certificate_request"),
    path("certificates/<int:cert_pk>/", views.certificate_detail, name="certificate_detail"),
    path("certificates/<int:cert_pk>/progress/", views.certificate_progress, name="certificate_progress"),
    path("certificates/<int:cert_pk>/pdf/", views.certificate_pdf, name="certificate_pdf"),
    path("certificates/<int:cert_pk>/revoke/", views.certificate_revoke, name="certificate_revoke"),
    path("certificates/<int:cert_pk>/amend/", views.certificate_amend, name="certificate_amend"),
    path("certificates/<int:cert_pk>/retry/", views.certificate_retry, name="certificate_retry"),
]
