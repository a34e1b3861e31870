"""API views of the project package: a token for scripts, and who the caller is. Also the pieces
every app's API shares (pagination, how a user and an organisation are shown)."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import pagination, serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from lims import permissions
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
    """Exchange a username and password for the user's API token (sent as `Authorization: Token <key>`)."""

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

        class Meta:
            ref_name = "TokenObtainOutput"

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request, **serializer.validated_data)
        if user is None:
            # One message for an unknown user, a wrong password and a deactivated account.
            raise ApplicationError(_("Unable to log in with this username and password."))
        token, _created = Token.objects.get_or_create(user=user)
        return Response(self.OutputSerializer({"token": token.key}).data)


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
