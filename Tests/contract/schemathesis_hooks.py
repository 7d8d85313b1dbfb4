"""Schemathesis hooks for Portcullis (loaded through SCHEMATHESIS_HOOKS by run_schemathesis.sh)."""
import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    """The import body: each generated object on its own line; anything else (negative cases) as JSON or text."""
    if isinstance(value, list):
        return "".join(json.dumps(item) + "\n" for item in value).encode()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value).encode()
