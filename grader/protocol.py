"""The wire protocol between the grader and its sandboxed worker: framing, schema, validation.

Every message is one *frame*: an 8-byte big-endian length, then that many bytes of UTF-8 JSON
(values inside travel in the encoding of ``codec.py``; nothing is ever unpickled).  Requests
carry a sequence number that the reply must echo, so a stray frame written by student code can
never be taken for the answer to a later request.

The grader trusts nothing that arrives: :func:`parse` bounds the work of decoding (size and
number of containers, checked before ``json`` sees a byte), and :func:`check_reply` accepts
only the replies listed in :data:`REPLIES`, field by field.  Anything else is a
:class:`ProtocolError`, which the sandbox turns into that call's ``error``.

This file is loaded by the child by path, so it depends on the standard library only.
"""

from __future__ import annotations

import json
import re
import struct
from typing import Any

VERSION = 1
HEADER = struct.Struct(">Q")
MAX_FRAME_BYTES = 64 * 2**20
MAX_CONTAINERS = 200_000  # lists and dicts in one frame: a legitimate reply holds a few hundred
MAX_MESSAGE_CHARS = 4000


class ProtocolError(ValueError):
    """A frame that is not a well-formed message of this protocol."""


def frame(message: dict) -> bytes:
    payload = json.dumps(message, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return HEADER.pack(len(payload)) + payload


def frame_size(header: bytes) -> int:
    size = HEADER.unpack(header)[0]
    if size > MAX_FRAME_BYTES:
        raise ProtocolError(f"a frame of {size} bytes is larger than the {MAX_FRAME_BYTES // 2**20} MB limit")
    return size


def parse(payload: bytes) -> Any:
    """The JSON value of one frame, refusing frames that would be expensive to decode."""
    if len(payload) > MAX_FRAME_BYTES:
        raise ProtocolError("frame too large")
    containers = payload.count(b"[") + payload.count(b"{")  # an upper bound, counted at C speed
    if containers > MAX_CONTAINERS:
        raise ProtocolError(f"a reply with more than {MAX_CONTAINERS} nested values")
    try:
        return json.loads(payload.decode("utf-8"), parse_constant=_reject)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"malformed frame: {str(exc)[:100]}") from None


def _reject(name: str) -> Any:
    raise ValueError(f"bare {name} in message")


_ANY = object()

#: Every reply the grader accepts: (kind, status) -> {field: type}.  ``seq`` is always required.
REPLIES: dict[tuple[str, str], dict[str, Any]] = {
    ("ready", "ready"): {"version": int, "confinement": dict},
    ("spawn", "spawned"): {"pid": int},
    ("wait", "exited"): {"code": int},
    ("load", "ok"): {"functions": list, "confinement": dict},
    ("load", "error"): {"message": str},
    ("load", "violation"): {"message": str},
    ("call", "ok"): {"value": _ANY, "changed": list},  # the arguments changed in place
    ("call", "error"): {"message": str},
    ("call", "not_implemented"): {"message": str},
    ("call", "missing"): {"message": str},
    ("call", "violation"): {"message": str},
    ("perf", "ok"): {"result": dict},               # the torch tier: grader/perf.py's facts and times
    ("perf", "error"): {"message": str},
    ("perf", "not_implemented"): {"message": str},
    ("perf", "missing"): {"message": str},
    ("perf", "violation"): {"message": str},
}


def check_reply(kind: str, seq: int, reply: Any) -> dict:
    """``reply`` if it is a valid answer to request ``seq`` of ``kind``; else ProtocolError."""
    if type(reply) is not dict or type(reply.get("status")) is not str:
        raise ProtocolError("a reply that is not a message")
    fields = REPLIES.get((kind, reply["status"]))
    if fields is None:
        raise ProtocolError(f"an unexpected reply {reply['status'][:40]!r} to {kind}")
    if reply.get("seq") != seq:
        raise ProtocolError("a reply out of sequence")
    if set(reply) != {"status", "seq", *fields}:
        raise ProtocolError(f"a {kind} reply with fields {sorted(reply)[:10]}")
    for name, kind_ in fields.items():
        if kind_ is not _ANY and type(reply[name]) is not kind_:
            raise ProtocolError(f"a {kind} reply whose {name} is not a {kind_.__name__}")
    if "message" in reply:
        reply["message"] = clean_text(reply["message"][:MAX_MESSAGE_CHARS])
    if "functions" in reply and not all(type(f) is str and f.isidentifier() for f in reply["functions"]):
        raise ProtocolError("a load reply with names that are not identifiers")
    if "changed" in reply and not all(type(c) is int or (type(c) is str and c.isidentifier()) for c in reply["changed"]):
        raise ProtocolError("a call reply with changed arguments that are neither positions nor names")
    return reply


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")


def clean_text(text: str) -> str:
    """``text`` safe for every report: no control characters but newlines and tabs (no terminal
    escapes, nothing XML forbids), no lone surrogates (nothing UTF-8 cannot write)."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub("\ufffd", text)
