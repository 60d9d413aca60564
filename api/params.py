"""Query-parameter validation. Errors answer 400 keyed by the field and naming it in the text.

Dates are UTC days written YYYY-MM-DD, inclusive at both ends.
"""

import re
from datetime import date

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from analytics.defaults import MAX_RANGE_DAYS

ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@extend_schema_field(OpenApiTypes.DATE)
class DayField(serializers.Field):
    """A strict YYYY-MM-DD day; Python's lenient ISO parsing ("20240101", weeks) is refused."""

    def bind(self, field_name, parent):
        super().bind(field_name, parent)
        self.error_messages = {
            **self.error_messages,
            "required": f"{field_name} is required: a UTC day as YYYY-MM-DD.",
            "null": f"{field_name} is required: a UTC day as YYYY-MM-DD.",
            "invalid": f"{field_name} must be a valid day as YYYY-MM-DD.",
        }

    def to_internal_value(self, data):
        if not isinstance(data, str) or not ISO_DAY.match(data):
            self.fail("invalid")
        try:
            return date.fromisoformat(data)
        except ValueError:
            self.fail("invalid")

    def to_representation(self, value):
        return value.isoformat()


class DateRangeParams(serializers.Serializer):
    start = DayField(help_text="First UTC day, YYYY-MM-DD (inclusive).")
    end = DayField(help_text="Last UTC day, YYYY-MM-DD (inclusive).")

    def validate(self, attrs):
        start, end = attrs["start"], attrs["end"]
        if end < start:
            raise serializers.ValidationError({"end": "end must be on or after start."})
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise serializers.ValidationError(
                {"end": f"end is too far from start: a range covers at most {MAX_RANGE_DAYS} days."}
            )
        return attrs


class MeteringParams(DateRangeParams):
    GRAINS = ("day", "week", "month")
    GROUPS = ("user", "model", "kind")

    grain = serializers.ChoiceField(
        choices=GRAINS,
        default="day",
        error_messages={"invalid_choice": "grain must be one of day, week, month."},
        help_text="Period length. Weeks start on Monday, months on the 1st.",
    )
    group_by = serializers.ChoiceField(
        choices=GROUPS,
        required=False,
        error_messages={"invalid_choice": "group_by must be one of user, model, kind."},
        help_text="Split each period by member email, model or billing kind; omit for totals.",
    )
    product = serializers.ChoiceField(
        choices=("cursor", "copilot", "claude_code"),
        required=False,
        error_messages={"invalid_choice": "product must be one of cursor, copilot, claude_code."},
        help_text="Only this AI tool's records; omit for every tool.",
    )


def parse(params_class, request):
    """Validated query parameters, or a 400 keyed by the offending field."""
    params = params_class(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data
