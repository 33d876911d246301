#!/usr/bin/env python3
"""Strata's RabbitMQ export for backup.sh (kind rabbitmq-definitions), through Python's standard library.

Usage: rabbitmq_tool.py export OUT
  GETs RABBITMQ_URL/api/definitions with basic auth (RABBITMQ_USER, RABBITMQ_PASSWORD from the environment, never
  argv), checks it is a definitions document, writes its bytes unchanged to OUT and prints one "object<TAB>count"
  line per object kind (vhosts users permissions policies queues exchanges bindings): the counts the restore drill
  compares with what a throwaway broker holds after importing the document.
Environment: HTTP_TIMEOUT_SECONDS (default 120).
Exit codes: 0 ok | 1 failed (the reason on stderr) | 2 usage.

Why Python: the counts need a JSON parser, and neither the AWS CLI image nor RabbitMQ's own image has jq; the python
image the sqlite kind already uses has json and urllib, and bash for backup.sh.
"""

import base64
import json
import os
import sys
import urllib.error
import urllib.request

COUNTED = ("vhosts", "users", "permissions", "policies", "queues", "exchanges", "bindings")


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def export(out):
    url = os.environ.get("RABBITMQ_URL", "").rstrip("/") + "/api/definitions"
    credentials = f"{os.environ.get('RABBITMQ_USER', '')}:{os.environ.get('RABBITMQ_PASSWORD', '')}"
    request = urllib.request.Request(url, headers={
        "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode(),
        "Accept": "application/json",
    })
    timeout = float(os.environ.get("HTTP_TIMEOUT_SECONDS", "120"))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as e:
        fail(f"HTTP {e.code} {e.reason} from {url}: {e.read()[:500].decode(errors='replace')}")
    except (urllib.error.URLError, OSError) as e:
        fail(f"cannot reach {url}: {getattr(e, 'reason', e)}")
    try:
        document = json.loads(body)
    except ValueError as e:
        fail(f"the management API did not return JSON ({e}): {body[:300].decode(errors='replace')}")
    if not isinstance(document, dict) or "rabbit_version" not in document:
        fail(f"the management API did not return a definitions document: {body[:300].decode(errors='replace')}")
    for kind in COUNTED:
        if not isinstance(document.get(kind, []), list):
            fail(f"the definitions' {kind} is not a list")
    with open(out, "wb") as f:
        f.write(body)
    for kind in COUNTED:
        print(f"{kind}\t{len(document.get(kind, []))}")


def main(argv):
    if len(argv) == 3 and argv[1] == "export":
        export(argv[2])
        return 0
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
