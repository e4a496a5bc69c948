"""What the service answers besides pygeoapi's documents: OGC exception documents and the
address the client reached the service at.

>>> error_response(404, "NotFound", "no collection 'x'").status_code
404
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse

__all__ = ["base_url", "error_response"]

#: A Host header the service builds links from: a name or address and an optional port.
_HOST = re.compile(r"[A-Za-z0-9.\-]{1,253}(:\d{1,5})?|\[[0-9A-Fa-f:.]{2,45}\](:\d{1,5})?")


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """An OGC API exception document (``code``, ``description``) with `status`.

    >>> error_response(400, "InvalidParameterValue", "limit must be a number").body
    b'{"code":"InvalidParameterValue","description":"limit must be a number"}'
    """
    return JSONResponse({"code": code, "description": message}, status_code=status, headers=headers)


def base_url(request: Request) -> str | None:
    """The service's own address as the client reached it, e.g. ``http://host:8501/ogc``
    (None for a Host header that is not a host name)."""
    host = request.headers.get("host", "")
    if not _HOST.fullmatch(host):
        return None
    scheme = "https" if request.url.scheme == "https" else "http"
    return f"{scheme}://{host}{request.scope.get('root_path', '').rstrip('/')}"
