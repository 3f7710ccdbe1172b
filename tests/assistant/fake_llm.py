"""A small OpenAI-compatible chat-completions server that replays scripted answers.

Real HTTP on 127.0.0.1 with an ephemeral port. Each POST to ``/v1/chat/completions`` takes
the next script entry:

* ``{"tool": name, "arguments": dict | str}``: one structured tool call (a str is sent as is,
  so invalid JSON can be scripted),
* ``{"content": text}``: an assistant message with only text (``<think>``, ``<tool_call>``),
* ``{"status": 500}``: an HTTP error with a JSON error body,
* ``{"sleep": seconds, ...}``: wait first (to provoke the client's timeout), then answer.

A request with ``"stream": true`` gets the same answer as Server-Sent Events (``chat.completion.chunk``
objects, the tool-call arguments a few characters per chunk, then ``data: [DONE]``). With
``"hold_after": n`` in the entry the server stops after ``n`` argument chunks until
:attr:`FakeLLM.gate` is set (how long it waited is in :attr:`FakeLLM.gate_waited`).

Requests are recorded (parsed JSON bodies) for assertions.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeLLM:
    """The scripted server; use :func:`serve` to run one."""

    def __init__(self) -> None:
        self.script: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.url = ""
        self.gate = threading.Event()
        self.gate_waited: list[bool] = []

    def push(self, *entries: dict[str, Any]) -> None:
        """Append answers to the script."""
        with self._lock:
            self.script.extend(entries)

    def next(self) -> dict[str, Any]:
        with self._lock:
            return self.script.pop(0) if self.script else {"content": "(script exhausted)"}


def _completion(entry: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": entry.get("content")}
    finish = "stop"
    if "tool" in entry:
        args = entry.get("arguments", {})
        message["tool_calls"] = [
            {
                "id": "call_1",
                "type": "function",
                "function": {
                    "name": entry["tool"],
                    "arguments": args if isinstance(args, str) else json.dumps(args),
                },
            }
        ]
        finish = "tool_calls"
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "qwen3-fake",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    doc = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "qwen3-fake",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(doc)}\n\n".encode()


def _stream(fake: FakeLLM, entry: dict[str, Any], write: Any) -> None:
    if "tool" in entry:
        args = entry.get("arguments", {})
        text = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
        write(
            _chunk(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": entry["tool"], "arguments": ""},
                        }
                    ],
                }
            )
        )
        for n, start in enumerate(range(0, len(text), 4)):
            if n == entry.get("hold_after"):
                fake.gate_waited.append(fake.gate.wait(timeout=20))
            piece = text[start : start + 4]
            write(_chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}))
        write(_chunk({}, "tool_calls"))
    else:
        write(_chunk({"role": "assistant", "content": entry.get("content") or ""}))
        write(_chunk({}, "stop"))
    write(b"data: [DONE]\n\n")


def _handler(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            fake.requests.append(body)
            entry = fake.next()
            if entry.get("sleep"):
                time.sleep(float(entry["sleep"]))
            if body.get("stream") and "status" not in entry:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()

                def write(data: bytes) -> None:
                    self.wfile.write(data)
                    self.wfile.flush()

                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    _stream(fake, entry, write)
                self.close_connection = True
                return
            if "status" in entry:
                payload = json.dumps({"error": {"message": "scripted failure"}}).encode()
                self.send_response(int(entry["status"]))
            else:
                payload = json.dumps(_completion(entry)).encode()
                self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            # The client may have given up already (the timeout case).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(payload)

    return Handler


@contextmanager
def serve() -> Iterator[FakeLLM]:
    """Run a :class:`FakeLLM` on 127.0.0.1 (ephemeral port) for the ``with`` block."""
    fake = FakeLLM()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
