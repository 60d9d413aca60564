"""API views, one module per concern. Thin adapters: parse the query, call one selector or
service, render with a serializer."""
