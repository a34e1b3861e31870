"""API of a person's own notifications: the list (newest first, `?unread=true` for the unread only)
and marking them read. Another person's notification is 404, as on the pages."""

import django_filters
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from lims import notifications
from lims.api_views import Pagination
from lims.exceptions import ApplicationError
from lims.models import Notification, NotificationKind


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", help_text="true: the unread only; false: the read only."
    )
    kind = django_filters.ChoiceFilter(choices=NotificationKind.choices)

    class Meta:
        model = Notification
        fields = ["unread", "kind"]


class NotificationOutputSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=NotificationKind.choices)
    title = serializers.SerializerMethodField(help_text="In the caller's language.")
    body = serializers.SerializerMethodField(help_text="In the caller's language.")
    link = serializers.CharField(help_text="The path of the page it is about (may be empty).")

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "created_at", "read_at"]

    def get_title(self, notification) -> str:
        return notifications.render(notification)[0]

    def get_body(self, notification) -> str:
        return notifications.render(notification)[1]


class NotificationListApi(generics.ListAPIView):
    """The caller's own notifications, newest first."""

    serializer_class = NotificationOutputSerializer
    pagination_class = Pagination
    filterset_class = NotificationFilter
    search_fields: list[str] = []
    ordering_fields = ["created_at"]

    def get_queryset(self):
        return notifications.notification_list(self.request.user)


class NotificationMarkReadApi(APIView):
    """Mark the caller's notifications read: those of `ids`, or every one with `all`. An id that is
    not one of the caller's notifications answers 404 and nothing is marked."""

    class InputSerializer(serializers.Serializer):
        ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False, max_length=500
        )
        all = serializers.BooleanField(required=False, default=False)

        class Meta:
            ref_name = "NotificationMarkReadInput"

    class OutputSerializer(serializers.Serializer):
        marked = serializers.IntegerField(help_text="How many were unread and are read now.")
        unread = serializers.IntegerField(help_text="How many remain unread.")

        class Meta:
            ref_name = "NotificationMarkReadOutput"

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = set(serializer.validated_data.get("ids") or [])
        if serializer.validated_data["all"]:
            marked = notifications.notifications_mark_read(actor=request.user)
        elif ids:
            own = list(notifications.notification_list(request.user).filter(pk__in=ids))
            if len(own) != len(ids):
                raise Http404
            marked = notifications.notifications_mark_read(actor=request.user, notifications=own)
        else:
            raise ApplicationError(_("Name the notifications to mark read (ids), or ask for all."), field="ids")
        return Response(
            self.OutputSerializer({"marked": marked, "unread": notifications.unread_count(request.user)}).data
        )
