#!/usr/bin/env python3
"""Drive a CityAI server's Open311 API with a third-party Open311 client.

Usage: open311_interop.py BASE_URL API_KEY [JURISDICTION_ID]

BASE_URL is the GeoReport root, such as http://127.0.0.1:8080/open311/v2. API_KEY must
belong to a citizen or operator account. The script lists services, reads a service
definition, posts a request, reads it back and lists requests, in JSON and XML, and exits
with status 1 on the first failed check.

The client is `georeport` 0.3.1 from PyPI. It reads services and requests but cannot post,
so the POST goes through `requests` (a georeport dependency), form-encoded as the standard
specifies. The other Open311 clients on PyPI (`three` 0.8.0, `open311` 1.1) are written
for Python 2 and do not import on Python 3.
"""

import sys

import requests
from georeport import GeoReport

PHONE = "13812345678"


def check(condition, message):
    """Fail with `message` unless `condition` holds."""
    if not condition:
        raise AssertionError(message)


def main(base_url, api_key, jurisdiction):
    client = GeoReport(base_url, jurisdiction=jurisdiction, api_key=api_key)
    xml_client = GeoReport(base_url, jurisdiction=jurisdiction, output_format="xml")
    checks = 0

    # Services, in JSON and XML, with the same codes.
    services = client.get_service_list()
    check(len(services) > 0, "services.json lists no service")
    for service in services:
        for field in ("service_code", "service_name", "metadata", "type"):
            check(field in service, f"service lacks {field}: {service}")
    xml_services = xml_client.get_service_list()
    check(
        sorted(s["service_code"] for s in xml_services)
        == sorted(s["service_code"] for s in services),
        "services.xml and services.json list different codes",
    )
    checks += 2

    # The definition of a service with metadata offers its subcategories.
    with_metadata = next(s for s in services if s["metadata"] is True)
    code = with_metadata["service_code"]
    definition = client.get_service_definition(code)
    check(definition["service_code"] == code, f"definition of {code}: {definition}")
    attribute = definition["attributes"][0]
    check(attribute["datatype"] == "singlevaluelist", f"attribute: {attribute}")
    subcategory = attribute["values"][0]["key"]
    xml_definition = xml_client.get_service_definition(code)
    check(xml_definition["service_code"] == code, f"XML definition: {xml_definition}")
    checks += 2

    # Posting needs the key: without it the server returns 403 in the standard error form.
    form = {
        "jurisdiction_id": jurisdiction,
        "service_code": code,
        f"attribute[{attribute['code']}]": subcategory,
        "lat": "30.6586",
        "long": "104.0647",
        "address_string": "东大街100号",
        "description": f"东大街100号门口的路灯连续三晚不亮，联系电话{PHONE}",
        "email": "resident@example.com",
        "first_name": "伟",
        "last_name": "张",
    }
    refused = requests.post(f"{base_url}/requests.json", data=form, timeout=30)
    check(refused.status_code == 403, f"POST without api_key: {refused.status_code}")
    check(refused.json()[0]["code"] == 403, f"error body: {refused.text}")
    checks += 1

    posted = requests.post(
        f"{base_url}/requests.json", data={**form, "api_key": api_key}, timeout=30
    )
    check(posted.status_code == 200, f"POST requests.json: {posted.status_code} {posted.text}")
    receipt = posted.json()[0]
    if "service_request_id" in receipt:
        request_id = receipt["service_request_id"]
    else:
        token = receipt["token"]
        found = requests.get(f"{base_url}/tokens/{token}.json", timeout=30)
        check(found.status_code == 200, f"tokens/{token}.json: {found.status_code}")
        request_id = found.json()[0]["service_request_id"]
    checks += 1

    # The posted request reads back through the client, masked, in JSON and XML.
    request = client.get_service_request(request_id)
    check(request["service_request_id"] == request_id, f"request: {request}")
    check(request["status"] == "open", f"status: {request['status']}")
    check(PHONE not in (request["description"] or ""), "the phone number was not masked")
    check(request["address"] == "东大街100号", f"address: {request['address']}")
    check(abs(request["lat"] - 30.6586) < 1e-9, f"lat: {request['lat']}")
    xml_request = xml_client.get_service_request(request_id)
    check(xml_request["service_request_id"] == request_id, f"XML request: {xml_request}")
    checks += 2

    # Listing finds it by id and among the open requests of the last 90 days.
    by_id = client.get_service_requests(service_request_id=request_id)
    check([r["service_request_id"] for r in by_id] == [request_id], f"by id: {by_id}")
    open_requests = client.get_service_requests(status="open")
    check(
        any(r["service_request_id"] == request_id for r in open_requests),
        "the new request is not among the open requests",
    )
    check(all(r["status"] == "open" for r in open_requests), "status=open lists closed requests")
    xml_list = xml_client.get_service_requests(service_request_id=request_id)
    # xmltodict returns a dict for a single <request> and a list for several.
    xml_list = xml_list if isinstance(xml_list, list) else [xml_list]
    check([r["service_request_id"] for r in xml_list] == [request_id], f"XML list: {xml_list}")
    checks += 3

    print(f"open311 interop succeeded: {checks} groups of checks, request {request_id}")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    try:
        main(sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3] if len(sys.argv) == 4 else "cityai")
    except (AssertionError, requests.RequestException, KeyError, StopIteration) as err:
        print(f"open311 interop failed: {err!r}", file=sys.stderr)
        sys.exit(1)
