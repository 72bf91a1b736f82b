"""An independent MCP client (the official Python SDK, `mcp` from PyPI) drives `feishu-vc mcp`
over stdio against a served emulator: lists the tools, books, books again under the same key
(the emulator's apply count stays 1), renews, cancels, and reads the isError results of an
invalid password and of an end time past 30 days."""

import asyncio
import json
import subprocess
import sys
import urllib.request

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

BINARY, BASE_URL, LEDGER, OWNER = sys.argv[1:5]


def applies():
    with urllib.request.urlopen(f"{BASE_URL}/_emulator/state", timeout=10) as answer:
        return json.load(answer)["applies"]


def text(result):
    return "\n".join(block.text for block in result.content if block.type == "text")


async def main():
    server = StdioServerParameters(
        command=BINARY,
        args=["mcp", "--base-url", BASE_URL, "--app-id", "cli_demo", "--ledger", LEDGER],
        env={"FEISHU_APP_SECRET": "demo-secret", "FEISHU_VC_EMULATOR_CLOCK": "true", "PATH": "/usr/bin:/bin"},
    )
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = {tool.name: tool for tool in (await session.list_tools()).tools}
            expected = {"book_meeting", "get_reservation", "renew_reservation",
                        "cancel_reservation", "list_reservations"}
            assert expected <= set(tools), sorted(tools)
            assert tools["get_reservation"].annotations.readOnlyHint is True
            assert tools["cancel_reservation"].annotations.destructiveHint is True
            assert "key" in tools["book_meeting"].inputSchema["required"]

            book = {"key": "standup-1", "topic": "Standup", "end_time": "+2h", "owner_id": OWNER}
            first = await session.call_tool("book_meeting", book)
            assert not first.isError, text(first)
            reservation = first.structuredContent["reservation"]
            assert reservation["state"] == "booked", reservation
            again = await session.call_tool("book_meeting", book)
            assert not again.isError, text(again)
            assert again.structuredContent["reservation"]["reserve_id"] == reservation["reserve_id"]
            assert applies() == 1, applies()

            reserve_id = reservation["reserve_id"]
            renewed = await session.call_tool(
                "renew_reservation", {"reserve_id": reserve_id, "end_time": "+1d"})
            assert not renewed.isError, text(renewed)
            assert renewed.structuredContent["end_time"] > reservation["end_time"]

            cancelled = await session.call_tool("cancel_reservation", {"reserve_id": reserve_id})
            assert not cancelled.isError, text(cancelled)
            assert cancelled.structuredContent["state"] == "deleted", cancelled.structuredContent

            bad = await session.call_tool(
                "book_meeting", {**book, "key": "bad-password", "password": "12ab"})
            assert bad.isError and "meeting_settings.password" in text(bad), text(bad)
            far = await session.call_tool(
                "book_meeting", {**book, "key": "too-far", "end_time": "+40d"})
            assert far.isError and "end_time" in text(far), text(far)
            assert applies() == 1, applies()
    print("mcp interop (stdio): ok")


def stdout_is_protocol_only():
    """With logging on (-v), a tool call still writes only JSON-RPC messages on stdout."""
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "book_meeting",
            "arguments": {"key": "raw-1", "end_time": "+1h", "owner_id": OWNER, "password": "4321"}}},
    ]
    proc = subprocess.Popen(
        [BINARY, "-vv", "mcp", "--base-url", BASE_URL, "--app-id", "cli_demo", "--ledger", LEDGER],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={"FEISHU_APP_SECRET": "demo-secret", "PATH": "/usr/bin:/bin"})
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
    assert "demo-secret" not in stderr and "demo-secret" not in "".join(lines)
    assert "feishu_vc" in stderr, "no log on stderr with -vv: " + stderr[:300]
    print("mcp stdout carries protocol messages only: ok")


asyncio.run(main())
stdout_is_protocol_only()
