"""The media link between processes of a node (media/worker_link.py): its messages, and
what a process does with a subscription or with bytes that are not messages, on the
real app's media socket."""

from __future__ import annotations

import asyncio

import pytest

from livecast.appkeys import PROCESS_CARD
from livecast.media import worker_link as wl

pytestmark = pytest.mark.media


def test_a_frame_crosses_as_its_payloads_and_metadata():
    payloads = [b"\x90\x80" + bytes(range(200)), b"\x80" * 1100, b""]
    data = wl.pack_frame("쇼-1", "video", "VP8", True, (payloads, 0xFFFFFFFF, 2**63 + 5))
    (length,) = wl._U32.unpack_from(data)
    assert length == len(data) - 4 and data[4] == wl.FRAME
    reader = wl._Reader(data[5:])
    assert reader.name() == "쇼-1" and reader.name() == "VP8"
    kind, keyframe, (got, timestamp, ntp) = reader.frame()
    assert (kind, keyframe, timestamp, ntp) == ("video", True, 0xFFFFFFFF, 2**63 + 5)
    assert got == payloads


def test_a_frame_whose_length_does_not_add_up_is_refused():
    data = wl.pack_frame("s", "audio", "OPUS", True, ([b"abc"], 1, 2))
    reader = wl._Reader(data[5:] + b"extra")
    reader.name(), reader.name()
    with pytest.raises(ValueError):
        reader.frame()


async def connect(client):
    path = client.server.app[PROCESS_CARD].media
    return await asyncio.open_unix_connection(path)


async def read_message(reader) -> tuple[int, bytes]:
    (n,) = wl._U32.unpack(await asyncio.wait_for(reader.readexactly(4), 5))
    body = await reader.readexactly(n)
    return body[0], body[1:]


async def test_a_subscription_to_a_show_not_hosted_here_is_answered_off_air(client, show):
    reader, writer = await connect(client)
    try:
        writer.write(wl.message(wl.SUB, wl._name(show["show"]["id"]) + b"\x00"))
        kind, body = await read_message(reader)
        assert kind == wl.HELLO
        r = wl._Reader(body)
        assert r.name() == show["show"]["id"]
        assert body[r.at] == 0, "not on air here"
    finally:
        writer.close()


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x00\x00\x00\x00",  # an empty message
        b"\xff\xff\xff\xff" + b"x" * 16,  # a message of 4 GB
        wl.message(99, b"\x01s"),  # an unknown type
        wl.message(wl.SUB, b"\x09short"),  # a name longer than the message
    ],
)
async def test_bytes_that_are_not_messages_close_the_link(client, garbage):
    reader, writer = await connect(client)
    try:
        writer.write(garbage)
        assert await asyncio.wait_for(reader.read(), 5) == b"", "closed by the process"
    finally:
        writer.close()
    # and the process goes on: a new link is answered
    reader, writer = await connect(client)
    try:
        writer.write(wl.message(wl.SUB, wl._name("any") + b"\x00"))
        assert (await read_message(reader))[0] == wl.HELLO
    finally:
        writer.close()
