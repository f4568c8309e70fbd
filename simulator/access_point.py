"""The Photon's access point exists only in listening mode: serve a SoftAP server only then.

Outside listening mode a real Photon has no ``Photon-XXXXXX`` network at all (Device OS starts the SoftAP
in ``wlan_smart_config_init()`` and stops it when listening ends), so nothing answers at 192.168.0.1: a
client cannot even connect. On 127.0.0.1 the nearest equivalent is a port nobody listens on, so
:class:`ListeningOnly` closes the server's listening socket when the device leaves listening mode and opens
it again, on the same port, when the device returns to it. Both happen at once, from the world's change
notification (``World.watchers``): a client that connects right after ``world.enter_listening()`` is queued,
one that connects right after ``world.boot()`` is refused. The serving thread also checks the mode every
:data:`POLL_SECONDS`.
"""

from __future__ import annotations

import selectors
import socket
import socketserver
import threading

from photon_doctor.simulator.world import Mode, World

#: How often the serving thread looks at the device's mode and at its stop signal (seconds).
POLL_SECONDS = 0.02


class ListeningOnly:
    """Serve ``server`` (already bound to its port) while ``world`` is in listening mode (see the module).

    :meth:`serve` is the thread's target; it returns once ``stopping`` is set. :meth:`close` unregisters from
    the world and closes the socket (call it after the thread has been joined).
    """

    def __init__(self, world: World, server: socketserver.TCPServer, stopping: threading.Event) -> None:
        self.world = world
        self.server = server
        self.stopping = stopping
        self.port = int(server.server_address[1])
        server.timeout = 0
        self._lock = threading.Lock()
        self._open = True
        with world.lock:
            world.watchers.append(self.world_changed)
            self.world_changed()  # no access point yet if the device is not listening

    def _listening(self) -> bool:
        with self.world.lock:
            return self.world.device.mode is Mode.LISTENING

    def world_changed(self) -> None:
        """Called by the world after a mode change (under its lock): the port opens or closes with the AP."""
        if self.world.device.mode is Mode.LISTENING:
            self._reopen()
        else:
            self._shut()

    def _reopen(self) -> None:
        with self._lock:
            if self._open or self.stopping.is_set():
                return
            sock = socket.socket(self.server.address_family, self.server.socket_type)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(("127.0.0.1", self.port))
                sock.listen(self.server.request_queue_size)
            except OSError:
                sock.close()  # the port is taken meanwhile: the serving thread tries again
                return
            self.server.socket = sock
            self._open = True

    def _shut(self) -> None:
        with self._lock:
            if self._open:
                self.server.socket.close()
                self._open = False

    def serve(self) -> None:
        """Accept and handle connections while listening; keep the port closed otherwise."""
        with selectors.DefaultSelector() as selector:
            while not self.stopping.is_set():
                if not self._listening():
                    self._shut()
                    self.stopping.wait(POLL_SECONDS)
                    continue
                self._reopen()
                with self._lock:
                    sock = self.server.socket if self._open else None
                if sock is None:
                    self.stopping.wait(POLL_SECONDS)
                    continue
                try:
                    selector.register(sock, selectors.EVENT_READ)
                except (ValueError, OSError):
                    continue  # closed by a mode change a moment ago
                try:
                    ready = selector.select(POLL_SECONDS)
                finally:
                    selector.unregister(sock)
                if ready and self._listening():
                    self.server.handle_request()  # timeout 0: accepts the waiting connection, or returns

    def close(self) -> None:
        """Stop watching the world and close the listening socket."""
        with self.world.lock:
            if self.world_changed in self.world.watchers:
                self.world.watchers.remove(self.world_changed)
        self._shut()
