"""Schemathesis hooks for Keybound's admin API fuzz.

`shape_acceptance` replaces schemathesis's `positive_data_acceptance`: a request generated to
match docs/admin-api.openapi.yaml must never be refused for its shape. It may be answered 2xx,
404 (no such issuer, client, user or resource) or 409 (already exists), or 400 with the error
code `invalid_settings`, which the document reserves for well-formed values that are refused
together or against the store (an unknown role, a consumer realm's role, 'since' after 'until').
A 400 `invalid_request`, a 413 or a 415 for such a request is a disagreement between the
document and the server, and fails the run.
"""
import json
import sys

import schemathesis

# The Swift test looks for this line: proof that the hooks (and so `shape_acceptance`) are loaded.
print("keybound admin fuzz hooks loaded: shape_acceptance", file=sys.stderr)

ACCEPTED_STATUSES = {404, 409}
SEMANTIC_REFUSALS = {"invalid_settings"}


@schemathesis.check
def shape_acceptance(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    status = response.status_code
    if 200 <= status < 300 or status in ACCEPTED_STATUSES:
        return None
    error = None
    try:
        error = json.loads(response.content).get("error")
    except (ValueError, AttributeError):
        pass
    if status == 400 and error in SEMANTIC_REFUSALS:
        return None
    raise AssertionError(
        f"a request the document accepts was refused for its shape: {status} {error!r}: {response.text[:400]}"
    )
