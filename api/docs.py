"""Interactive API docs served entirely from this server.

Swagger UI's assets come from drf-spectacular-sidecar via staticfiles. Swagger UI would
also load a validator badge from validator.swagger.io by default: turning the validator off
keeps the page free of third-party requests (offline use, strict CSPs).
"""

import json

from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerView


class LocalSwaggerView(SpectacularSwaggerView):
    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        settings = spectacular_settings.SWAGGER_UI_SETTINGS
        if isinstance(settings, str):  # a JS expression configured by an operator: leave it
            return response
        response.data["settings"] = json.dumps({**settings, "validatorUrl": None}, indent=2)
        return response
