from django.urls import path

from certificates import api

urlpatterns = [
    path("certificates/", api.CertificateListApi.as_view(), name="api_certificate_list"),
    path("certificates/<int:cert_pk>/", api.CertificateDetailApi.as_view(), name="api_certificate_detail"),
    path("certificates/<int:cert_pk>/pdf/", api.CertificatePdfApi.as_view(), name="api_certificate_pdf"),
    path("certificates/<int:cert_pk>/revoke/", api.CertificateRevokeApi.as_view(), name="api_certificate_revoke"),
    path("certificates/<int:cert_pk>/amend/", api.CertificateAmendApi.as_view(), name="api_certificate_amend"),
    path("certificates/<int:cert_pk>/retry/", api.CertificateRetryApi.as_view(), name="api_certificate_retry"),
]
