"""API of the partnership health survey: instruments (read), rounds (scoped: a partner sees the
rounds of its collaborations; any other is a 404), a round's results (as the caller may see
them), and the caller's own response to a round (read and write, JSON only).

Thin: reads come from commissioner.survey.selectors, writes go through the same services as the
respondent's page."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from commissioner.models import (
    SurveyInstrument,
    SurveyPrinciple,
    SurveyResponse,
    SurveyRound,
    SurveyStatement,
)
from commissioner.survey import selectors, services
from core.actors import actor_organisation_id
from core.api import JSONParser, StrictOrderingFilter
from core.errors import DomainError
from core.serializer_fields import model_field
from core.viewsets import ScopedViewSet

NOT_FOUND = OpenApiResponse(description=gettext_lazy("Not found, or outside the caller's scope."))
BAD_REQUEST = OpenApiResponse(description=gettext_lazy("Invalid input: each bad field is named."))
FORBIDDEN = OpenApiResponse(description=gettext_lazy("Not allowed: a read-only token."))


# Serializers ------------------------------------------------------------------------------------


class SurveyStatementSerializer(serializers.ModelSerializer):
    text = serializers.SerializerMethodField()

    class Meta:
        model = SurveyStatement
        fields = ["id", "position", "text"]
        read_only_fields = fields

    def get_text(self, statement) -> str:
        return _(statement.text)


class SurveyPrincipleSerializer(serializers.ModelSerializer):
    title = serializers.SerializerMethodField()
    statements = SurveyStatementSerializer(many=True, read_only=True)

    class Meta:
        model = SurveyPrinciple
        fields = ["id", "code", "position", "title", "statements"]
        read_only_fields = fields

    def get_title(self, principle) -> str:
        return _(principle.title)


class SurveyInstrumentSerializer(serializers.ModelSerializer):
    """A version of a questionnaire: its principles and their statements, answered 1-5 or
    "don't know"."""

    principles = SurveyPrincipleSerializer(many=True, read_only=True)

    class Meta:
        model = SurveyInstrument
        fields = ["id", "code", "version", "title", "description", "principles"]
        read_only_fields = fields


class SurveyRoundSerializer(serializers.ModelSerializer):
    survey_status = serializers.ChoiceField(
        choices=[
            ("upcoming", gettext_lazy("Not open yet")),
            ("open", gettext_lazy("Open")),
            ("closed", gettext_lazy("Closed")),
        ],
        read_only=True,
        help_text=gettext_lazy("Whether answers are taken today."),
    )
    invited_count = serializers.IntegerField(read_only=True)
    submitted_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = SurveyRound
        fields = [
            "id",
            "collaboration",
            "instrument",
            "opened_on",
            "closes_on",
            "survey_status",
            "share_answers",
            "invited_count",
            "submitted_count",
        ]
        read_only_fields = fields


class SurveyAnswerSerializer(serializers.Serializer):
    statement = serializers.IntegerField(min_value=1, help_text=gettext_lazy("A statement's id."))
    value = serializers.IntegerField(
        min_value=1,
        max_value=5,
        allow_null=True,
        required=False,
        help_text=gettext_lazy("1 (strongly disagree) to 5 (strongly agree); null with dont_know."),
    )
    dont_know = serializers.BooleanField(default=False)

    def validate(self, attrs):
        value, dont_know = attrs.get("value"), attrs.get("dont_know", False)
        if dont_know and value is not None:
            raise ValidationError(
                {"value": [_("Give a value from 1 to 5 or “don't know”, not both.")]}
            )
        if not dont_know and value is None:
            raise ValidationError({"value": [_("Give a value from 1 to 5, or “don't know”.")]})
        return attrs


class SurveyCommentSerializer(serializers.Serializer):
    principle = model_field(SurveyPrinciple, "code", help_text=gettext_lazy("A principle's code."))
    comment = serializers.CharField(max_length=services.MAX_COMMENT, allow_blank=True)


class SurveyResponseWriteSerializer(serializers.Serializer):
    """The caller's answers to a round, replacing those it saved before; `submit` makes them
    final (every statement answered)."""

    answers = SurveyAnswerSerializer(many=True, max_length=200)
    comments = SurveyCommentSerializer(many=True, required=False, max_length=50)
    submit = serializers.BooleanField(default=False)

    def validate_answers(self, answers):
        statements = [answer["statement"] for answer in answers]
        if len(statements) != len(set(statements)):
            raise ValidationError(_("Answer each statement once."))
        return answers


class SurveyResponseSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    organisation = serializers.IntegerField()
    response_status = serializers.ChoiceField(
        choices=[
            ("not_started", gettext_lazy("Not started")),
            ("draft", gettext_lazy("Saved, not submitted")),
            ("submitted", gettext_lazy("Submitted")),
        ]
    )
    submitted_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)
    answers = SurveyAnswerSerializer(many=True)
    comments = SurveyCommentSerializer(many=True)


class SurveyScoreSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(source="organisation_id")
    name = serializers.CharField()
    score = serializers.FloatField(allow_null=True)
    divergent = serializers.BooleanField()


class SurveyResultCommentSerializer(serializers.Serializer):
    organisation = serializers.CharField()
    comment = serializers.CharField()


class SurveyPrincipleResultSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    mean = serializers.FloatField(allow_null=True)
    spread = serializers.FloatField(allow_null=True)
    scores = SurveyScoreSerializer(many=True)
    divergent_organisations = serializers.ListField(
        child=serializers.CharField(), source="divergent_names"
    )
    comments = SurveyResultCommentSerializer(many=True)


class SurveyTrendSerializer(serializers.Serializer):
    round = serializers.CharField()
    means = serializers.DictField(child=serializers.FloatField(allow_null=True))


class SurveyResultsSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    survey_view = serializers.ChoiceField(
        choices=[
            ("full", gettext_lazy("Every organisation's scores (commissioners)")),
            ("partner", gettext_lazy("The caller's own scores and the aggregate")),
        ],
        help_text=gettext_lazy(
            "What the caller sees: every organisation, or (a partner) its own scores and the "
            "aggregate — everyone's when the round shares answers."
        ),
    )
    provisional = serializers.BooleanField(
        help_text=gettext_lazy(
            "A partner's view of a round still open: its own scores only, the collaboration's "
            "figures once the round closes."
        )
    )
    invited = serializers.IntegerField()
    answered_organisations = serializers.IntegerField()
    principles = SurveyPrincipleResultSerializer(many=True)
    trend = SurveyTrendSerializer(many=True)


def _response_data(survey_round, organisation_id, response: SurveyResponse | None) -> dict:
    if response is None:
        status, answers, comments = "not_started", [], []
    else:
        status = "submitted" if response.is_submitted else "draft"
        answers = [
            {"statement": a.statement_id, "value": a.value, "dont_know": a.dont_know}
            for a in sorted(response.answers.all(), key=lambda a: a.statement_id)
        ]
        comments = [
            {"principle": code, "comment": text}
            for code, text in sorted((response.comments or {}).items())
        ]
    return {
        "round": survey_round.pk,
        "organisation": organisation_id,
        "response_status": status,
        "submitted_at": response.submitted_at if response else None,
        "updated_at": response.updated_at if response else None,
        "answers": answers,
        "comments": comments,
    }


def _results_data(results) -> dict:
    codes = [p.code for p in results.principles]
    return {
        "round": results.round.pk,
        "survey_view": results.view,
        "provisional": results.provisional,
        "invited": results.invited,
        "answered_organisations": results.answered_organisations,
        "principles": [
            {
                "code": p.code,
                "title": p.title,
                "mean": p.mean,
                "spread": p.spread,
                "scores": p.scores,
                "divergent_names": p.divergent_names,
                "comments": [{"organisation": n, "comment": c} for n, c in p.comments],
            }
            for p in results.principles
        ],
        "trend": [
            {"round": label, "means": dict(zip(codes, values, strict=False))}
            for label, values in results.trend_rows
        ],
    }


# Views ------------------------------------------------------------------------------------------


@extend_schema(tags=["survey"])
class SurveyInstrumentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The survey's instruments (questionnaires), every version, with their principles and
    statements. Published reference data: every caller reads them."""

    serializer_class = SurveyInstrumentSerializer
    filter_backends = [StrictOrderingFilter]
    ordering_fields = ["version"]
    ordering = ["code", "-version"]
    lookup_value_regex = r"\d+"

    def list(self, request, *args, **kwargs):
        services.instrument_default()  # the default instrument exists from the first read
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        return SurveyInstrument.objects.prefetch_related("principles__statements").order_by(
            "code", "-version", "pk"
        )


class SurveyRoundFilterSet(filters.FilterSet):
    collaboration = filters.NumberFilter(field_name="collaboration_id")

    class Meta:
        model = SurveyRound
        fields = ["collaboration"]


@extend_schema_view(
    results=extend_schema(
        responses={200: SurveyResultsSerializer, 404: NOT_FOUND},
        description=gettext_lazy(
            "The round's results as the caller may see them: administrators and "
            "commissioners every organisation's scores and comments; a partner (its token or "
            "staff) the aggregate and its own, and the others' only when the round shares answers."
        ),
    ),
)
@extend_schema(tags=["survey"])
class SurveyRoundViewSet(ScopedViewSet):
    """Survey rounds: administrators and commissioners read all; a partner token or staff user
    the rounds of collaborations its organisation takes part in."""

    serializer_class = SurveyRoundSerializer
    filter_backends = [filters.DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = SurveyRoundFilterSet
    ordering_fields = ["opened_on", "closes_on"]
    ordering = ["-opened_on"]
    parser_classes = [JSONParser]
    lookup_value_regex = r"\d+"

    def base_queryset(self):
        from django.db.models import Case, CharField, Value, When
        from django.utils import timezone

        today = timezone.localdate()
        return (
            selectors.round_rows()
            .annotate(
                survey_status=Case(
                    When(opened_on__gt=today, then=Value("upcoming")),
                    When(closes_on__lt=today, then=Value("closed")),
                    default=Value("open"),
                    output_field=CharField(),
                )
            )
            .order_by("-opened_on", "-pk")
        )

    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        survey_round = self.get_object()
        if selectors.view_of(request.user, survey_round) is None:
            raise Http404
        data = selectors.round_results(survey_round=survey_round, actor=request.user)
        return Response(SurveyResultsSerializer(_results_data(data)).data)

    def _own(self, request):
        survey_round = self.get_object()
        organisation_id = actor_organisation_id(request.user)
        if organisation_id is None or not selectors.takes_part(
            request.user, survey_round.collaboration
        ):
            raise Http404
        return survey_round, organisation_id

    @extend_schema(
        methods=["GET"],
        responses={200: SurveyResponseSerializer, 404: NOT_FOUND},
        description=gettext_lazy("The caller's organisation's own response to the round."),
    )
    @extend_schema(
        methods=["PUT"],
        request=SurveyResponseWriteSerializer,
        responses={200: SurveyResponseSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND},
        description=gettext_lazy(
            "Save (or, with `submit`, submit) the caller's organisation's answers to an "
            "open round; refused once submitted or after the closing date. Each answer is a value "
            "from 1 to 5 or `dont_know`."
        ),
    )
    @action(detail=True, methods=["get", "put"], url_path="my-response")
    def my_response(self, request, pk=None):
        survey_round, organisation_id = self._own(request)
        if request.method == "PUT":
            return self._save(request, survey_round, organisation_id)
        response = (
            SurveyResponse.objects.filter(
                round=survey_round, organisation_id=organisation_id, respondent__contact=None
            )
            .prefetch_related("answers")
            .first()
        )
        return Response(
            SurveyResponseSerializer(_response_data(survey_round, organisation_id, response)).data
        )

    @transaction.atomic  # the write and its answer's read-back are one unit
    def _save(self, request, survey_round, organisation_id):
        serializer = SurveyResponseWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        respondent = services.survey_api_respondent(actor=request.user, survey_round=survey_round)
        answers = {
            a["statement"]: services.DONT_KNOW if a.get("dont_know") else a.get("value")
            for a in data["answers"]
        }
        comments = {c["principle"]: c["comment"] for c in data.get("comments", [])}
        try:
            response = services.survey_response_save(
                respondent=respondent, answers=answers, comments=comments, submit=data["submit"]
            )
        except DomainError as error:
            name = "answers" if (error.field or "").startswith("statement_") else error.field
            if name and name.startswith("comment_"):
                name = "comments"
            raise ValidationError({name or "non_field_errors": [error.message]}) from error
        response = SurveyResponse.objects.prefetch_related("answers").get(pk=response.pk)
        return Response(
            SurveyResponseSerializer(_response_data(survey_round, organisation_id, response)).data
        )
