"""Serializer fields tied to the metric registry (analytics.metrics).

`@tied(field="metric key", …)` on a serializer makes each field's OpenAPI description the
registry's (definition, formula, caveats; then the field's own help_text, if any) and records the tie in `METRICS`, so the schema
and `GET /api/v1/metrics` cannot drift from the pages' info controls. A nullable field says
why it can be null (`nulls=`): a figure a plan or tool does not provide is null, never 0.
"""

from analytics.metrics import describe, metric

NOT_ON_PLAN = "null: not available on your plan"
NO_DENOMINATOR = "null: nothing to divide by in the range"


def not_reported_by(*tools: str) -> str:
    return "null: not reported by " + " or ".join(tools)


def tied(nulls: dict[str, str] | None = None, **fields: str):
    """Class decorator: `field name → metric key` for the serializer's declared fields."""
    nulls = nulls or {}

    def decorate(cls):
        declared = cls._declared_fields
        for name, key in fields.items():
            metric(key)  # fails at import on an unknown key
            field = declared[name]
            text = describe(key)
            if getattr(field, "allow_null", False):
                if name not in nulls:
                    raise ValueError(f"{cls.__name__}.{name} is nullable: say why in nulls=")
                text = f"{text} {nulls[name].rstrip('.')}."
            if field.help_text:  # a note of the endpoint's own (e.g. who may read it) stays
                text = f"{text} {field.help_text}"
            # Fields are re-built from their kwargs when a serializer is instantiated.
            field.help_text = text
            field._kwargs["help_text"] = text
        cls.METRICS = {**getattr(cls, "METRICS", {}), **fields}
        return cls

    return decorate
