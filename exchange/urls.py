from django.urls import path

from exchange import api

# Under /api/v1/exchange/ (lims/urls.py).
urlpatterns = [
    path("oauth/token", api.TokenApi.as_view(), name="exchange_token"),
    path("certificates/<str:number>/", api.CertificateRecordApi.as_view(), name="exchange_certificate"),
    path("acks/<uuid:message_id>/", api.AckApi.as_view(), name="exchange_ack"),
]
