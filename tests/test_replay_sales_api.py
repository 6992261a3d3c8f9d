"""``replay_sales`` over the API: on by default, the host may switch it (and nothing else),
and it is the one thing that still changes once a show has ended."""

from livecast.store import catalog
from tests.support import ADMIN, bearer


async def test_the_host_switches_replay_sales_and_nothing_else(client, show):
    show_id = show["show"]["id"]
    assert (await (await client.get(f"/api/shows/{show_id}")).json())["replay_sales"] is True
    host = bearer(show["host_key"])
    res = await client.patch(f"/api/shows/{show_id}", json={"replay_sales": False}, headers=host)
    assert res.status == 200 and (await res.json())["replay_sales"] is False
    res = await client.patch(f"/api/shows/{show_id}", json={"title": "바꾸기"}, headers=host)
    assert res.status == 403 and (await res.json())["error"] == "forbidden"
    res = await client.patch(f"/api/shows/{show_id}", json={"replay_sales": "no"}, headers=ADMIN)
    assert res.status == 400 and (await res.json())["error"] == "invalid"
    res = await client.patch(
        f"/api/shows/{show_id}", json={"replay_sales": True}, headers=bearer("wrong" * 8)
    )
    assert res.status == 401


async def test_after_the_end_only_replay_sales_changes(client, show, r):
    show_id = show["show"]["id"]
    await catalog.set_status(r, show_id, "live")
    await catalog.set_status(r, show_id, "ended")
    res = await client.patch(f"/api/shows/{show_id}", json={"title": "다시"}, headers=ADMIN)
    assert res.status == 400 and (await res.json())["error"] == "ended"
    res = await client.patch(f"/api/shows/{show_id}", json={"replay_sales": False}, headers=ADMIN)
    assert res.status == 200 and (await res.json())["replay_sales"] is False
