"""Schemathesis hooks for scripts/schemathesis (SCHEMATHESIS_HOOKS).

`POST /leads/import` takes NDJSON, which schemathesis cannot serialise on
its own: the generated body (a string, or any JSON value) is sent as one
NDJSON line, so the upload's line reading and per-line refusals are fuzzed
like every other body.
"""

import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value).encode()
