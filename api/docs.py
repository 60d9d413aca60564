"""Interactive API docs served entirely from this server.

Swagger UI's assets come from drf-spectacular-sidecar via staticfiles. The page's start-up
script is served as its own file (`?script`, drf-spectacular's split view) rather than
inline, so the Content-Security-Policy needs no 'unsafe-inline' script. Swagger UI would also
load a validator badge from validator.swagger.io by default: turning the validator off keeps
the page free of third-party requests (offline use, strict CSPs).
"""

import json

from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView


class LocalSwaggerView(SpectacularSwaggerSplitView):
    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        settings = spectacular_settings.SWAGGER_UI_SETTINGS
        if "settings" not in response.data or isinstance(settings, str):
            return response  # the HTML page, or a JS expression configured by an operator
        response.data["settings"] = json.dumps({**settings, "validatorUrl": None}, indent=2)
        return response
