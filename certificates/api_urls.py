from django.urls import path

from certificates import api, log_api

urlpatterns = [
    path("certificates/", api.CertificateListApi.as_view(), name="api_certificate_list"),
    path("certificates/<int:cert_pk>/", api.CertificateDetailApi.as_view(), name="api_certificate_detail"),
    path("certificates/<int:cert_pk>/pdf/", api.CertificatePdfApi.as_view(), name="api_certificate_pdf"),
    path("certificates/<int:cert_pk>/revoke/", api.CertificateRevokeApi.as_view(), name="api_certificate_revoke"),
    path("certificates/<int:cert_pk>/amend/", api.CertificateAmendApi.as_view(), name="api_certificate_amend"),
    path("certificates/<int:cert_pk>/retry/", api.CertificateRetryApi.as_view(), name="api_certificate_retry"),
    # The transparency log (public, read-only).
    path("log/inclusion/<str:number>/", log_api.LogInclusionApi.as_view(), name="api_log_inclusion"),
    path("log/consistency/", log_api.LogConsistencyApi.as_view(), name="api_log_consistency"),
    path("log/entries/", log_api.LogEntriesApi.as_view(), name="api_log_entries"),
    path("log/cosignatures/", log_api.LogCosignaturesApi.as_view(), name="api_log_cosignatures"),
]
