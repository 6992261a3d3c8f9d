"""Log hygiene of the realtime plane: a Redis outage met by Socket.IO events logs no
traceback per event and no address; python-socketio's own lines are printed once."""

from __future__ import annotations

import asyncio

import socketio

from tests.faults.conftest import create_show, http, new_log_lines, wait_until


async def test_socket_events_during_a_redis_outage_log_no_tracebacks(live_server, external_redis):
    store = external_redis()
    server = live_server(env={"REDIS_URL": store.url})
    show = create_show(server)
    viewers = []
    for i in range(3):
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(
            server.base_url, auth={"show": show, "name": f"v{i}"}, transports=["websocket"]
        )
        viewers.append(client)
    before = len(server.output().splitlines())

    store.stop()
    acks = []
    for i in range(10):
        for client in viewers:
            acks.append(await client.call("chat:send", {"text": f"안녕 {i}"}, timeout=15))
            acks.append(await client.call("my:orders", {}, timeout=15))
    assert {a["error"] for a in acks} == {"unavailable"}, acks[:4]
    refused = []
    for _ in range(3):  # new sockets while Redis is down
        late = socketio.AsyncClient(reconnection=False)
        late.on("connect_error", refused.append)
        try:
            await late.connect(server.base_url, auth={"show": show}, transports=["websocket"])
        except socketio.exceptions.ConnectionError:
            pass
        await late.disconnect()
    assert refused and all(r == {"message": "unavailable"} for r in refused), refused
    for client in viewers:  # leaving meets the outage too
        await client.disconnect()
    await asyncio.sleep(0.5)

    lines = new_log_lines(server, before)
    text = "\n".join(lines)
    assert "Traceback" not in text and "Task exception was never retrieved" not in text, text
    assert "realtime task failed" not in text
    assert str(store.port) not in text and "127.0.0.1:" not in text, text
    assert len(lines) <= 15, text
    store.start()


def test_socketio_and_engineio_lines_are_printed_once(live_server):
    server = live_server()
    before = len(server.output().splitlines())
    res = http("GET", server.base_url + "/socket.io/?EIO=4&transport=polling&sid=nosuchsession")
    assert res.status == 400
    wait_until(lambda: "nosuchsession" in server.output(), timeout=5, what="engineio's line")
    lines = [line for line in new_log_lines(server, before) if "nosuchsession" in line]
    assert len(lines) == 1, lines
