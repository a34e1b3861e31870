"""The transparency log as JSON, for anyone and without an account (certificates.transparency):
a certificate's inclusion proof, a consistency proof between two tree sizes, and the leaves for
auditors. Every proof is against a signed checkpoint (the latest, or sizes up to it), never the log's
unsigned state. Counted per client address like the rest of the portal (verify_api.PublicApi).
A refusal is {"message", "extra"}: 400 for sizes out of range, 404 for a number not in the log, 409
for a certificate issued moments ago that no checkpoint covers yet."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.response import Response

from certificates import cosignatures, transparency, verification
from certificates.verify_api import PublicApi
from lims.exceptions import ApplicationError

_ERROR = OpenApiResponse(description='{"message": ..., "extra": {...}}')
_HEX = "lowercase hex"


class LogInclusionApi(PublicApi):
    """The inclusion proof of a certificate's "issued" leaf in the latest signed checkpoint (RFC 9162
    2.1.3): verify it with the checkpoint's root, then the checkpoint's signature with the log key
    (/verify/log/key)."""

    OutputSerializer = inline_serializer(
        "LogInclusion",
        {
            "leaf_index": serializers.IntegerField(),
            "tree_size": serializers.IntegerField(),
            "leaf": serializers.CharField(help_text="base64 of the leaf's bytes (canonical JSON of the event)"),
            "leaf_hash": serializers.CharField(help_text=f"SHA-256(0x00 || leaf), {_HEX}"),
            "audit_path": serializers.ListField(child=serializers.CharField(), help_text=f"leaf to root, {_HEX}"),
            "root_hash": serializers.CharField(help_text=f"the checkpoint's root, {_HEX}"),
            "checkpoint": serializers.CharField(help_text="the signed checkpoint (C2SP signed note) proved against"),
        },
    )

    class InputSerializer(serializers.Serializer):
        tree_size = serializers.IntegerField(min_value=1, max_value=2**62, required=False)

    @extend_schema(
        operation_id="log_inclusion",
        parameters=[
            OpenApiParameter(
                "tree_size",
                int,
                required=False,
                description="prove against the signed checkpoint of this size (one you hold) instead of the latest",
            ),
        ],
        responses={200: OutputSerializer, 400: _ERROR, 404: _ERROR, 409: _ERROR},
    )
    def get(self, request, number: str):
        number = verification.normalise_number(number)
        if not verification.valid_number(number):
            raise ApplicationError(_("Give a certificate number such as KZL-2026-000042."), field="number")
        given = self.InputSerializer(data=request.query_params)
        given.is_valid(raise_exception=True)
        return Response(transparency.inclusion(number, given.validated_data.get("tree_size")))


class LogConsistencyApi(PublicApi):
    """The consistency proof between tree sizes first and second (RFC 9162 2.1.4), both at most the
    latest signed checkpoint's size: a witness checks that the log only grew."""

    class InputSerializer(serializers.Serializer):
        first = serializers.IntegerField(min_value=1, max_value=2**62)
        second = serializers.IntegerField(min_value=1, max_value=2**62)

    OutputSerializer = inline_serializer(
        "LogConsistency",
        {
            "first": serializers.IntegerField(),
            "second": serializers.IntegerField(),
            "first_root": serializers.CharField(help_text=_HEX),
            "second_root": serializers.CharField(help_text=_HEX),
            "proof": serializers.ListField(child=serializers.CharField(), help_text=_HEX),
        },
    )

    @extend_schema(
        operation_id="log_consistency",
        parameters=[
            OpenApiParameter("first", int, required=True, description="the older tree size (> 0)"),
            OpenApiParameter("second", int, required=True, description="the newer tree size (<= latest checkpoint)"),
        ],
        responses={200: OutputSerializer, 400: _ERROR},
    )
    def get(self, request):
        given = self.InputSerializer(data=request.query_params)
        given.is_valid(raise_exception=True)
        return Response(transparency.consistency(given.validated_data["first"], given.validated_data["second"]))


class LogEntriesApi(PublicApi):
    """Leaves start..end, both included (as RFC 6962 get-entries), at most 1000 in one answer and none
    beyond the latest signed checkpoint: an auditor recomputes the tree from them."""

    class InputSerializer(serializers.Serializer):
        start = serializers.IntegerField(min_value=0, max_value=2**62)
        end = serializers.IntegerField(min_value=0, max_value=2**62)

    OutputSerializer = inline_serializer(
        "LogEntries",
        {
            "start": serializers.IntegerField(),
            "end": serializers.IntegerField(help_text="the last index in this answer (may be below the one asked)"),
            "entries": inline_serializer(
                "LogEntry",
                {
                    "index": serializers.IntegerField(),
                    "leaf": serializers.CharField(help_text="base64 of the leaf's bytes"),
                    "leaf_hash": serializers.CharField(help_text=_HEX),
                },
                many=True,
            ),
        },
    )

    @extend_schema(
        operation_id="log_entries",
        parameters=[
            OpenApiParameter("start", int, required=True, description="first index (from 0)"),
            OpenApiParameter("end", int, required=True, description="last index, included"),
        ],
        responses={200: OutputSerializer, 400: _ERROR},
    )
    def get(self, request):
        given = self.InputSerializer(data=request.query_params)
        given.is_valid(raise_exception=True)
        return Response(transparency.entries(given.validated_data["start"], given.validated_data["end"]))


class PlainTextParser(BaseParser):
    """A text/plain body as a string (UTF-8): a cosigned checkpoint as witness.py posts it."""

    media_type = "text/plain"

    def parse(self, stream, media_type=None, parser_context=None):
        data = stream.read(cosignatures.MAX_NOTE_CHARS * 4 + 1)
        if len(data) > cosignatures.MAX_NOTE_CHARS * 4:
            raise ParseError(_("The cosigned checkpoint is too long."))
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(_("The cosigned checkpoint is not UTF-8 text.")) from exc


class LogCosignaturesApi(PublicApi):
    """A witness submits its cosignature of a checkpoint (C2SP tlog-cosignature): the body is the
    cosigned checkpoint as witness.py prints it (text/plain), or {"checkpoint": "..."}. Accepted when
    the note is a checkpoint this log signed, with the log's valid signature, and carries a valid
    cosignature/v1 of at least one active registered witness; each is stored (201), a repeat answers
    200 with the same result. Anything else is 400 with the reason (certificates.cosignatures)."""

    parser_classes = (PlainTextParser, JSONParser)

    class InputSerializer(serializers.Serializer):
        checkpoint = serializers.CharField(max_length=cosignatures.MAX_NOTE_CHARS, trim_whitespace=False)

    OutputSerializer = inline_serializer(
        "LogCosignatures",
        {
            "checkpoint_size": serializers.IntegerField(),
            "accepted": serializers.ListField(
                child=serializers.CharField(), help_text="the names of the witnesses whose cosignature is stored"
            ),
        },
    )

    @extend_schema(
        operation_id="log_cosignatures_submit",
        request={"text/plain": {"type": "string"}, "application/json": InputSerializer},
        responses={201: OutputSerializer, 200: OutputSerializer, 400: _ERROR},
    )
    def post(self, request):
        data = request.data
        if not isinstance(data, str):
            given = self.InputSerializer(data=data if isinstance(data, dict) else {})
            given.is_valid(raise_exception=True)
            data = given.validated_data["checkpoint"]
        submission = cosignatures.submit(data)
        return Response(
            {"checkpoint_size": submission.checkpoint_size, "accepted": submission.accepted},
            status=status.HTTP_201_CREATED if submission.created else status.HTTP_200_OK,
        )
