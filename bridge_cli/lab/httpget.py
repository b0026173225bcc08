"""A one-shot HTTP GET for tests and tools, run inside a lab namespace.

`ip netns exec <ns> python -m bridge_cli.lab.httpget URL [-H 'Name: value']...` prints one
JSON object: status, headers (lower-case names) and the raw body in base64 (not
decompressed, so a gzip answer stays gzip). Needs nothing but Python on the machine.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import urllib.error
import urllib.request


def get(url: str, headers: dict[str, str], timeout: float) -> dict:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, head, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, head, body = exc.code, exc.headers, exc.read()
    return {
        "status": status,
        "headers": {k.lower(): v for k, v in head.items()},
        "body_b64": base64.b64encode(body).decode(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bridge_cli.lab.httpget")
    parser.add_argument("url")
    parser.add_argument("-H", "--header", action="append", default=[])
    parser.add_argument("--timeout", type=float, default=20.0)
    args = parser.parse_args(argv)
    headers = dict(h.split(":", 1) for h in args.header)
    headers = {k.strip(): v.strip() for k, v in headers.items()}
    try:
        result = get(args.url, headers, args.timeout)
    except OSError as exc:
        print(f"httpget: {args.url}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
