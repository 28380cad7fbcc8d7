"""Serve a WSGI app on loopback over HTTP/1.1 with keep-alive, threaded and silent."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from types import TracebackType
from typing import Any
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

_DRAIN_LIMIT = 1024 * 1024


class _Body:
    """wsgi.input limited to Content-Length, so the next request on the connection stays intact."""

    def __init__(self, stream: Any, length: int) -> None:
        self._stream = stream
        self.left = length

    def read(self, size: int = -1) -> bytes:
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self._stream.read(size) if size else b""
        self.left -= len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self._stream.readline(size) if size else b""
        self.left -= len(data)
        return data

    def readlines(self, hint: int = -1) -> list[bytes]:
        return list(self)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


class _Handler11(ServerHandler):
    http_version = "1.1"
    complete = False

    def close(self) -> None:
        # A body shorter than its Content-Length (a truncated download) or without one can only
        # end by closing the connection; record that before the base class forgets the headers.
        state: Any = self  # typeshed omits BaseHandler's response state attributes
        length = state.headers.get("Content-Length") if state.headers else None
        head = (state.environ or {}).get("REQUEST_METHOD") == "HEAD"
        self.complete = length is not None and not head and int(length) == state.bytes_sent
        super().close()


class _RequestHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # an idle keep-alive connection gives its thread back after this long
    wbufsize = 64 * 1024  # status line, headers and a small body leave in one segment

    def setup(self) -> None:
        super().setup()
        # Without this, Nagle's algorithm and delayed ACKs stall each keep-alive reply ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server: Any = self.server
        server.track(self.connection, add=True)

    def finish(self) -> None:
        server: Any = self.server
        server.track(self.connection, add=False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        return

    def handle(self) -> None:
        self.close_connection = True
        try:
            self._one()
            while not self.close_connection:
                self._one()
        except (TimeoutError, ConnectionError, OSError):
            self.close_connection = True

    def _one(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline or len(self.raw_requestline) > 65536:
            self.close_connection = True
            return
        if not self.parse_request():
            return
        if self.headers.get("Transfer-Encoding"):
            # Chunked request bodies are not supported; answer and drop the connection.
            self.close_connection = True
            self.send_error(411)
            return
        body = _Body(self.rfile, int(self.headers.get("Content-Length") or 0))
        output: Any = self.wfile
        handler = _Handler11(body, output, self.get_stderr(), self.get_environ(), multithread=True)
        handler.request_handler = self  # type: ignore[attr-defined]  # wsgiref's back-pointer
        handler.run(self.server.get_app())  # type: ignore[attr-defined]
        self.wfile.flush()  # wsgiref flushes only after body writes; an empty body has none
        if not handler.complete or body.left > _DRAIN_LIMIT:
            self.close_connection = True
        elif body.left:
            body.read()


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-body (truncated downloads, aborted tests) is expected here;
        # the base class would print a traceback to stderr for each one.
        return

    def __init__(self, address: tuple[str, int]) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _RequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can take seconds.
        self.socket.bind(self.server_address)
        self.server_address = self.socket.getsockname()
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]
        self.setup_environ()

    def track(self, connection: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


@dataclass
class RunningServer:
    """A server on a background thread; a context manager that stops it on exit."""

    host: str
    port: int
    _server: _Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        """Stop accepting, drop open connections, and release the port."""
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


def serve(app: WsgiApp, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Start serving `app` on a background thread; port 0 picks a free port."""
    server = _Server((host, port))
    server.set_app(app)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.01},
        name="sandbox-http",
        daemon=True,
    )
    thread.start()
    return RunningServer(host, server.server_port, server, thread)


def serve_forever(
    port: int = 8765,
    host: str = "127.0.0.1",
    app: WsgiApp | None = None,
    on_ready: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Serve a default simulator (or `app`) until Ctrl-C or `stop` is set; prints nothing.

    `on_ready` receives the base URL once the port is bound (useful with port 0).
    """
    if app is None:
        from sandbox.simulator import Simulator

        app = Simulator()
    running = serve(app, host, port)
    try:
        if on_ready is not None:
            on_ready(running.url)
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
        close = getattr(app, "close", None)
        if callable(close):
            close()
