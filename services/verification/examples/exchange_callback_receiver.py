"""A department's callback endpoint for the exchange (an integrator's example, standard library
only): receives `on-search` answers and `on-notify` notifications and checks their signature.

    python exchange_callback_receiver.py --port 8765 --secret <the secret Jiuzhu returned>

Jiuzhu POSTs JSON with `X-Jiuzhu-Signature: sha256=<hex>`, the HMAC-SHA256 of the exact body
bytes under the secret returned (once) with the async search (`POST
/v1/verification/exchange/search` with `header.callback_uri`) or the subscription (`POST
/v1/verification/exchange/subscribe`). Check it before reading the body (constant-time
compare), answer 2xx once stored (anything else is retried with backoff), and drop a message
whose `header.message_id` you have already stored (retries resend it).

Note: this `X-Jiuzhu-Signature` (an HMAC, Jiuzhu → department) is not the Ed25519 signature a
department puts on its own requests to the gateway (department → Jiuzhu, see push_notice.py).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 10 * 1024 * 1024


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return header is not None and hmac.compare_digest(expected, header)


def handler_for(secret: str) -> type[BaseHTTPRequestHandler]:
    seen: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                self.send_response(413)
                self.end_headers()
                return
            body = self.rfile.read(length)
            if not signature_valid(secret, body, self.headers.get("x-jiuzhu-signature")):
                self.send_response(401)
                self.end_headers()
                return
            envelope = json.loads(body)
            message_id = envelope["header"]["message_id"]
            if message_id not in seen:  # a real receiver stores it (and the message) durably
                seen.add(message_id)
                print(envelope["header"]["action"], json.dumps(envelope["message"], ensure_ascii=False))
            self.send_response(200)
            self.end_headers()

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(args.secret)).serve_forever()


if __name__ == "__main__":
    main()
