from django.urls import path

from lims.api_views import MeApi, TokenObtainApi

urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="api_token"),
    path("me/", MeApi.as_view(), name="api_me"),
]
