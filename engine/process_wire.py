"""The engine process's wire: length-prefixed pickled values over a private socket pair.

Both ends are this program (the app and the engine process it started), connected by a
``socket.socketpair`` that has no address anyone else could reach, and only the frozen
values of ``engine.api`` travel on it (requests, progress events, encoded frames, errors
as class name and text).

    app -> engine    ("configure", paths, runtime, devices) | ("start", token)
                     | ("pass", token, PassRequest) | ("cancel", token)
    engine -> app    ("hello", pid) | ("started", token, device, fingerprints)
                     | ("event", token, ProgressEvent) | ("frame", token, FrameResult)
                     | ("done", token, image_encodes, device, fingerprints)
                     | ("error", token, error_class_name, message)
"""

from __future__ import annotations

import asyncio
import pickle
import socket
import struct
from typing import Any

_HEADER = struct.Struct("!Q")


def pack(message: tuple[Any, ...]) -> bytes:
    """One message as bytes for the socket."""
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(body)) + body


def receive(sock: socket.socket) -> tuple[Any, ...] | None:
    """The next message from a blocking socket; None when the other end has gone."""
    header = _exactly(sock, _HEADER.size)
    if header is None:
        return None
    body = _exactly(sock, _HEADER.unpack(header)[0])
    return None if body is None else pickle.loads(body)


async def read(reader: asyncio.StreamReader) -> tuple[Any, ...] | None:
    """The next message from an asyncio stream; None when the other end has gone."""
    try:
        header = await reader.readexactly(_HEADER.size)
        body = await reader.readexactly(_HEADER.unpack(header)[0])
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    return pickle.loads(body)


def _exactly(sock: socket.socket, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        try:
            chunk = sock.recv(min(left, 1 << 20))
        except ConnectionError:
            return None
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
