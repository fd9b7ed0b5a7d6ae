"""The gateway against the EPCIS 2.0 REST binding's own OpenAPI document.

An independent, maintained OpenAPI implementation (openapi-core, with openapi-schema-validator)
checks every request this script sends and every response the gateway gives against
`../shared/gs1/epcis/rest/openapi.yaml`: the operation and its parameters, the status code,
the headers and media type, and the body against the schema the binding names (the GS1 EPCIS
2.0 JSON schema for EPCIS documents and query documents).

The binding refers to its schemas and examples at gs1.github.io; this machine reaches no such
host, so the document is copied and those references are pointed at the same schema in
`../shared` (the REST binding's JSON-Schema-Stub re-exports the EPCIS JSON schema's
definitions under the same names), and the examples, which no check reads, at an empty file.

Usage: conformance.py SHARED_DIR GATEWAY_URL TOKEN PRODUCT
  PRODUCT: a code whose events the gateway can read back.
Exit 0 when every exchange conforms; 1 with one line per violation otherwise.
"""

import json
import pathlib
import re
import sys
import tempfile
import urllib.parse
import uuid

import requests
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

STUB = "https://gs1.github.io/EPCIS/REST%20Bindings/JSON-Schema-Stub.json#"
REMOTE_EXAMPLE = re.compile(r"https://gs1\.github\.io/EPCIS/(?:JSON|XML|JSON-Schema)/[^'\"]+")


def local_spec(shared: pathlib.Path, into: pathlib.Path) -> pathlib.Path:
    """The binding's OpenAPI document with its remote references made local."""
    epcis = shared / "gs1" / "epcis"
    (into / "EPCIS-JSON-Schema.json").write_bytes(
        (epcis / "schema" / "EPCIS-JSON-Schema.json").read_bytes()
    )
    (into / "example.json").write_text("{}")
    text = (epcis / "rest" / "openapi.yaml").read_text()
    text = text.replace(STUB, "EPCIS-JSON-Schema.json#")
    text = REMOTE_EXAMPLE.sub("example.json", text)
    path = into / "openapi.yaml"
    path.write_text(text)
    return path


def exchanges(url: str, token: str, product: str):
    """The requests to check: capture discovery and listing, queries with the standard
    parameters, an event by ID, per-resource lists and collections, a named query and a
    subscription to it, and refusals."""
    auth = {"Authorization": f"Bearer {token}"}
    code = urllib.parse.quote(product, safe="")
    yield requests.options(f"{url}/capture", headers=auth)
    yield requests.get(f"{url}/capture", headers=auth, params={"perPage": 2})
    yield requests.get(f"{url}/events", headers=auth, params={"MATCH_anyEPC": product})
    story = requests.get(f"{url}/epcs/{code}/events", headers=auth)
    yield story
    yield requests.get(
        f"{url}/events",
        headers=auth,
        params={
            "MATCH_anyEPC": product,
            "eventType": "ObjectEvent|AggregationEvent",
            "GE_eventTime": "2020-01-01T00:00:00Z",
            "orderBy": "eventTime",
            "orderDirection": "ASC",
            "perPage": 1,
        },
    )
    events = story.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    if events:
        hash_id = urllib.parse.quote(events[0]["tally:proof"]["eventHashID"], safe="")
        yield requests.get(f"{url}/events/{hash_id}", headers=auth)
    for resource in ["eventTypes", "bizSteps", "bizLocations", "readPoints", "dispositions"]:
        yield requests.get(f"{url}/{resource}", headers=auth)
    yield requests.get(f"{url}/bizSteps/shipping/events", headers=auth)
    yield requests.get(f"{url}/eventTypes/ObjectEvent/events", headers=auth)
    # A named query, its answer, and a webhook subscription to it (to a loopback port nobody
    # listens on: its deliveries just wait).
    name = f"conformance-{uuid.uuid4().hex[:8]}"
    query = {"name": name, "query": {"EQ_bizStep": ["shipping"], "eventType": ["ObjectEvent"]}}
    yield requests.post(f"{url}/queries", headers=auth, json=query)
    yield requests.get(f"{url}/queries", headers=auth)
    yield requests.get(f"{url}/queries/{name}", headers=auth)
    yield requests.get(f"{url}/queries/{name}/events", headers=auth)
    sub = {"dest": "http://127.0.0.1:9/hook", "secret": "t0ken", "stream": True}
    created = requests.post(f"{url}/queries/{name}/subscriptions", headers=auth, json=sub)
    yield created
    yield requests.get(f"{url}/queries/{name}/subscriptions", headers=auth)
    location = created.headers.get("Location", f"/queries/{name}/subscriptions/none")
    yield requests.get(f"{url}{location}", headers=auth)
    yield requests.delete(f"{url}{location}", headers=auth)
    yield requests.delete(f"{url}/queries/{name}", headers=auth)
    # Refusals the binding documents: no token, a representation the gateway cannot give.
    yield requests.get(f"{url}/events")
    yield requests.get(f"{url}/events", headers={**auth, "Accept": "application/xml"})
    yield requests.get(f"{url}/events/urn%3Auuid%3Anone", headers=auth)


def main() -> int:
    shared, url, token, product = sys.argv[1:5]
    with tempfile.TemporaryDirectory() as tmp:
        spec = local_spec(pathlib.Path(shared), pathlib.Path(tmp))
        # The binding's document is taken as published: openapi-core checks traffic against
        # it, not the document against the OpenAPI meta-schema (GS1's own concern).
        # RFC 7807 problems are JSON too; openapi-core reads only application/json unless told.
        config = Config(
            spec_validator_cls=None,
            extra_media_type_deserializers={"application/problem+json": json.loads},
        )
        api = OpenAPI.from_file_path(str(spec), config=config)
        problems, checked = [], 0
        for response in exchanges(url, token, product):
            request = RequestsOpenAPIRequest(response.request)
            name = f"{response.request.method} {response.request.path_url} -> {response.status_code}"
            try:
                api.validate_request(request)
                api.validate_response(request, RequestsOpenAPIResponse(response))
            except Exception as e:  # every validation error names itself
                detail = getattr(e, "__cause__", None) or e
                problems.append(f"{name}: {type(e).__name__}: {detail}")
            checked += 1
    for p in problems:
        print(p)
    print(f"openapi conformance: {checked - len(problems)} of {checked} exchanges conform")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
