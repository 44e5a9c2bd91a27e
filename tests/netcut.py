"""A network the tests can cut: a TCP forwarder between a browser and a server."""

import socket
import threading
from contextlib import suppress


class CuttableProxy:
    """A TCP forwarder, run by the test, between a browser and a server process.
    cut() drops the network: every connection through it is closed and new ones are
    refused until restore()."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.up = True
        self.stopped = False
        self.lock = threading.Lock()
        self.open: set[socket.socket] = set()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> "CuttableProxy":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped = True
        self.thread.join(timeout=5)
        self.listener.close()
        self.cut()

    def _accept(self) -> None:
        while not self.stopped:
            try:
                downstream, _ = self.listener.accept()
            except TimeoutError:
                continue
            if not self.up:
                self._drop(downstream)
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self.lock:
                self.open.update((downstream, upstream))
            for source, sink in ((downstream, upstream), (upstream, downstream)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                self._drop(end)

    def _drop(self, end: socket.socket) -> None:
        """End a connection at once (shutdown also wakes the thread reading it)."""
        with self.lock:
            self.open.discard(end)
        with suppress(OSError):
            end.shutdown(socket.SHUT_RDWR)
        end.close()

    def cut(self) -> None:
        self.up = False
        with self.lock:
            ends = list(self.open)
        for end in ends:
            self._drop(end)

    def restore(self) -> None:
        self.up = True
