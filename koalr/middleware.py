"""Request guards that apply to every page and endpoint."""

from django.http import HttpResponseBadRequest, JsonResponse

MESSAGE = "This address contains a NUL character, which no Koalr page accepts."


class RejectNulCharacters:
    """Answer 400 to a query parameter holding a NUL character.

    No text Koalr takes from a URL (slugs, search terms, dates, sort keys) can contain one, and
    PostgreSQL refuses NUL in text values, so a view passing it on would fail with a 500. One
    guard here instead of a check at every place that reads a parameter.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()):
            if request.path.startswith("/api/"):  # the API's error shape: {"detail": …}
                return JsonResponse({"detail": MESSAGE}, status=400)
            return HttpResponseBadRequest(MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
