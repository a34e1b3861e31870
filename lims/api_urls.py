from django.urls import path

from lims.api_views import MeApi, TokenObtainApi
from lims.notification_api import NotificationListApi, NotificationMarkReadApi

urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="api_token"),
    path("me/", MeApi.as_view(), name="api_me"),
    path("notifications/", NotificationListApi.as_view(), name="api_notification_list"),
    path("notifications/mark-read/", NotificationMarkReadApi.as_view(), name="api_notification_mark_read"),
]
