"""An independent MCP client (the official Python SDK, `mcp` from PyPI) drives `feishu-vc mcp`
against a served emulator, over stdio and then over Streamable HTTP, with the same checks on
each: lists the tools, books, books again under the same key (the emulator's apply count grows
by one), updates, renews, finds the meeting in progress, cancels, and reads the isError results
of an invalid password and of an end time past 30 days. Last, a raw stdio session with logging
on shows that stdout carries protocol messages only."""

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client

BINARY, BASE_URL, APP_ID, APP_SECRET, WORK, OWNER = sys.argv[1:7]
ENV = {"FEISHU_APP_SECRET": APP_SECRET, "PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def server_args(ledger):
    return ["mcp", "--base-url", BASE_URL, "--app-id", APP_ID, "--ledger", ledger]


def control(path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{BASE_URL}/_emulator/{path}", data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def applies():
    return control("state")["applies"]


def text(result):
    return "\n".join(block.text for block in result.content if block.type == "text")


async def checks(session, leg):
    info = await session.initialize()
    assert info.serverInfo.name == "feishu-vc" and "dry_run" in info.instructions, info
    tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    expected = {"book_meeting", "get_reservation", "renew_reservation", "update_reservation",
                "cancel_reservation", "active_meeting", "meeting_report", "list_reservations"}
    assert expected == set(tools), sorted(tools)
    assert tools["get_reservation"].annotations.readOnlyHint is True
    assert tools["active_meeting"].annotations.readOnlyHint is True
    assert tools["cancel_reservation"].annotations.destructiveHint is True
    assert tools["book_meeting"].annotations.idempotentHint is True
    assert "key" in tools["book_meeting"].inputSchema["properties"]
    assert tools["book_meeting"].outputSchema is not None

    before = applies()
    book = {"key": f"standup-{leg}", "topic": "Standup", "end_time": "+2h", "owner_id": OWNER}
    first = await session.call_tool("book_meeting", book)
    assert not first.isError, text(first)
    reservation = first.structuredContent["reservation"]
    assert reservation["state"] == "booked", reservation
    again = await session.call_tool("book_meeting", book)
    assert not again.isError, text(again)
    assert again.structuredContent["reservation"]["reserve_id"] == reservation["reserve_id"]
    assert applies() == before + 1, (before, applies())

    reserve_id = reservation["reserve_id"]
    updated = await session.call_tool(
        "update_reservation", {"reserve_id": reserve_id, "topic": "Standup (moved)"})
    assert not updated.isError, text(updated)
    on_feishu = [r for r in control("state")["reservations"] if r["id"] == reserve_id]
    assert on_feishu[0]["topic"] == "Standup (moved)", on_feishu
    renewed = await session.call_tool(
        "renew_reservation", {"reserve_id": reserve_id, "end_time": "+1d"})
    assert not renewed.isError, text(renewed)
    assert renewed.structuredContent["end_time"] > reservation["end_time"]

    idle = await session.call_tool("active_meeting", {"reserve_id": reserve_id})
    assert not idle.isError and idle.structuredContent.get("meeting") is None, text(idle)
    control(f"reserves/{reserve_id}/meeting", {})
    live = await session.call_tool(
        "active_meeting", {"reserve_id": reserve_id, "with_participants": True})
    assert not live.isError, text(live)
    meeting = live.structuredContent["meeting"]
    assert meeting["status"] == "OnTheCall" and meeting["meeting_no"] == reservation["meeting_no"]
    assert [p["id"] for p in meeting["participants"]] == [OWNER], meeting
    ended = urllib.request.Request(f"{BASE_URL}/_emulator/reserves/{reserve_id}/meeting",
                                   method="DELETE")
    urllib.request.urlopen(ended, timeout=10).close()
    report = await session.call_tool("meeting_report", {"reserve_id": reserve_id})
    assert not report.isError, text(report)
    held = report.structuredContent["meetings"]
    assert len(held) == 1 and held[0]["meeting_id"] == meeting["id"], held
    assert [p["id"] for p in held[0]["participants"]] == [OWNER], held
    assert held[0]["recording"] == "none", held

    cancelled = await session.call_tool("cancel_reservation", {"reserve_id": reserve_id})
    assert not cancelled.isError, text(cancelled)
    assert cancelled.structuredContent["state"] == "deleted", cancelled.structuredContent

    bad = await session.call_tool(
        "book_meeting", {**book, "key": f"bad-password-{leg}", "password": "12ab"})
    assert bad.isError and "meeting_settings.password" in text(bad), text(bad)
    assert "12ab" not in text(bad), text(bad)
    far = await session.call_tool(
        "book_meeting", {**book, "key": f"too-far-{leg}", "end_time": "+40d"})
    assert far.isError and "end_time" in text(far), text(far)
    assert applies() == before + 1, (before, applies())
    print(f"mcp interop ({leg}): ok")


async def over_stdio():
    server = StdioServerParameters(
        command=BINARY, args=server_args(f"{WORK}/stdio.sqlite3"), env=ENV)
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write) as session:
            await checks(session, "stdio")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def over_http():
    port = free_port()
    log = open(f"{WORK}/mcp-http.log", "w")
    server = subprocess.Popen(
        [BINARY, *server_args(f"{WORK}/http.sqlite3"), "--http", f"127.0.0.1:{port}"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, env=ENV)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            assert server.poll() is None, open(f"{WORK}/mcp-http.log").read()
            assert time.monotonic() < deadline, "feishu-vc mcp --http did not listen"
            time.sleep(0.1)
        async with streamablehttp_client(f"http://127.0.0.1:{port}/mcp") as (read, write, _):
            async with ClientSession(read, write) as session:
                await checks(session, "streamable HTTP")
    finally:
        server.terminate()
        stdout, _ = server.communicate(timeout=30)
        log.close()
    assert stdout == b"", stdout[:300]


def stdout_is_protocol_only():
    """With logging on (-vv), a tool call still writes only JSON-RPC messages on stdout, and
    neither stream shows the app secret or the meeting password."""
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "book_meeting",
            "arguments": {"key": "raw-1", "end_time": "+1h", "owner_id": OWNER,
                          "password": "483921"}}},
    ]
    proc = subprocess.Popen(
        [BINARY, "-vv", *server_args(f"{WORK}/raw.sqlite3")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    lines = []
    for message in messages:
        proc.stdin.write(json.dumps(message) + "\n")
        proc.stdin.flush()
        if "id" in message:
            lines.append(proc.stdout.readline())
    rest, stderr = proc.communicate(timeout=30)
    lines += rest.splitlines()
    for line in filter(str.strip, lines):
        assert json.loads(line)["jsonrpc"] == "2.0", line
    booked = json.loads(lines[1])["result"]
    assert not booked.get("isError"), booked
    everything = stderr + "".join(lines)
    assert APP_SECRET not in everything and "483921" not in everything
    assert "feishu_vc" in stderr, "no log on stderr with -vv: " + stderr[:300]
    print("mcp stdout carries protocol messages only: ok")


asyncio.run(over_stdio())
asyncio.run(over_http())
stdout_is_protocol_only()
