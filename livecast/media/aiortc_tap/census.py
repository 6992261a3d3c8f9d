"""The decoder census: how many decoders aiortc built, and how many for tapped receivers.

For tests (``MediaOptions.hook = DecoderCensus()``), never installed by ``livecast
serve``. aiortc 1.16's decoder thread calls the module attribute
``aiortc.rtcrtpreceiver.get_decoder``; the census wraps it once per process and counts
calls made on the threads of receivers the server tapped (those must stay at 0).
"""

from __future__ import annotations

import threading
import weakref

from aiortc import rtcrtpreceiver

from ..hook import SessionHook
from .receiver import decoder_thread


class _Census:
    def __init__(self, original) -> None:
        self.original = original
        self.tapped_threads: weakref.WeakSet[threading.Thread] = weakref.WeakSet()
        self.lock = threading.Lock()
        self.total = 0
        self.tapped = 0

    def __call__(self, codec):
        with self.lock:
            self.total += 1
            if threading.current_thread() in self.tapped_threads:
                self.tapped += 1
        return self.original(codec)


def install() -> _Census:
    """Wrap aiortc's get_decoder once per process (the function is process-wide)."""
    current = rtcrtpreceiver.get_decoder
    if isinstance(current, _Census):
        return current
    census = _Census(current)
    rtcrtpreceiver.get_decoder = census
    return census


def server_decoders_built() -> int:
    """Decoders aiortc built for receivers the server tapped (must stay 0)."""
    return install().tapped


def all_decoders_built() -> int:
    """Decoders aiortc built in this process for any receiver (tests' viewers decode)."""
    return install().total


class DecoderCensus(SessionHook):
    """The media plane's hook that puts every tapped receiver's thread in the census."""

    def __init__(self) -> None:
        self.census = install()

    def host_tapped(self, receiver) -> None:
        census = self.census
        original_receive = receiver.receive

        async def receive(parameters):
            await original_receive(parameters)
            thread = decoder_thread(receiver)
            if thread is not None:
                census.tapped_threads.add(thread)

        receiver.receive = receive
