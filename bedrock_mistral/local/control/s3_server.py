"""A real S3 API on loopback for batch jobs: moto's server mode on a free port."""

from __future__ import annotations

import logging
from typing import Any


def start_s3_server(host: str = "127.0.0.1") -> Any:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:  # moto is in the `local` extra
        raise RuntimeError("batch jobs need moto's S3 server: pip install 'bedrock-mistral[local]'") from exc
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per S3 call otherwise
    server = ThreadedMotoServer(ip_address=host, port=0, verbose=False)
    server.start()
    return server


def s3_url(server: Any) -> str:
    host, port = server.get_host_and_port()
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
