"""API views of the project package: a token for scripts, and who the caller is. Also the pieces
every app's API shares (pagination, how a user and an organisation are shown)."""

from django.contrib.auth import authenticate
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import generics, pagination, serializers
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from lims import permissions, services
from lims.exceptions import ApplicationError
from lims.models import Organisation, User


class Pagination(pagination.PageNumberPagination):
    """Pages of PAGE_SIZE rows; a script may ask for other sizes up to max_page_size."""

    page_size_query_param = "page_size"
    max_page_size = 500


class OrganisationOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "kind"]


class UserOutputSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="get_full_name")
    organisation = OrganisationOutputSerializer(allow_null=True)

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "organisation"]


class TokenObtainApi(APIView):
    """Exchange a username and password for a new API token (sent as `Authorization: Token <token>`).

    Tokens are django-rest-knox tokens: only a digest is stored, so the token is shown once, here;
    each expires REST_KNOX["TOKEN_TTL"] after issue (a bad or expired token answers 401). Every call
    issues a new token and removes the caller's expired ones. Failed attempts count towards the
    login lockout (django-axes, lims.lib.login_throttle) like the web and admin login pages."""

    # Credentials are the authentication here: no session (so no CSRF) and no token needed.
    authentication_classes = ()
    permission_classes = (AllowAny,)
    # Password guessing is slowed per client address (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]).
    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "token"

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField()
        password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

        class Meta:
            ref_name = "TokenObtainInput"

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()
        expiry = serializers.DateTimeField()

        class Meta:
            ref_name = "TokenObtainOutput"

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The Django request, not REST framework's wrapper: axes marks a lockout on it, and its
        # middleware then answers 429 (lims.lib.login_throttle.lockout_response).
        user = authenticate(request._request, **serializer.validated_data)
        if user is None:
            # One message for an unknown user, a wrong password and a deactivated account.
            raise ApplicationError(_("Unable to log in with this username and password."))
        AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
        instance, token = AuthToken.objects.create(user=user)
        return Response(self.OutputSerializer({"token": token, "expiry": instance.expiry}).data)


class MeApi(APIView):
    """The caller: name, organisation and the roles that count for that organisation."""

    class OutputSerializer(UserOutputSerializer):
        roles = serializers.SerializerMethodField()
        is_admin = serializers.SerializerMethodField()

        class Meta(UserOutputSerializer.Meta):
            fields = [*UserOutputSerializer.Meta.fields, "first_name", "last_name", "email", "roles", "is_admin"]
            ref_name = "MeOutput"

        def get_roles(self, user) -> list[str]:
            return sorted(permissions.effective_roles(user))

        def get_is_admin(self, user) -> bool:
            return permissions.is_admin(user)

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request):
        return Response(self.OutputSerializer(request.user).data)


# Reference data ------------------------------------------------------------------------------------


class ReferenceWritePermission(BasePermission):
    """Anyone signed in reads reference data; those the view's `reference_permission` allows change it."""

    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False
        return request.method in SAFE_METHODS or permissions.can(request.user, view.reference_permission)


class _ReferenceMixin:
    permission_classes = (ReferenceWritePermission,)
    pagination_class = Pagination
    lookup_url_kwarg = "ref_pk"
    reference_permission = ""

    def _save(self, serializer, instance):
        serializer.instance = services.reference_save(
            actor=self.request.user, permission=self.reference_permission, instance=instance,
            fields=serializer.validated_data,
        )  # fmt: skip

    def perform_create(self, serializer):
        self._save(serializer, serializer.Meta.model())

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)


def reference_views(model, serializer, name: str, *, permission: str, queryset=None):
    """A list/create view and a read/change view of one kind of reference data, changed by holders of
    `permission` through lims.services.reference_save. No delete: results, certificates and
    declarations cite reference rows; retire them instead. `queryset` (default: every row) loads what
    the serializer shows of related rows, so a list runs no query per row."""
    queryset = model.objects.all() if queryset is None else queryset
    attributes = {"queryset": queryset, "serializer_class": serializer, "reference_permission": permission}
    list_view = type(
        f"{name}ListApi",
        (_ReferenceMixin, generics.ListCreateAPIView),
        {**attributes, "__doc__": f"List or create {name} rows."},
    )
    detail_view = type(
        f"{name}DetailApi",
        (_ReferenceMixin, generics.RetrieveUpdateAPIView),
        {**attributes, "__doc__": f"Read or change one {name} row."},
    )
    return list_view, detail_view
