"""The gateway's upstream connections (httpx's transport over asyncio streams): failures come
back as httpx's errors, in time, and never hang a request."""

from __future__ import annotations

import asyncio
import ssl

import httpcore
import httpx
import pytest

from bot.gateway.connections import AsyncioBackend, UpstreamTransport

LIVENESS = 10  # seconds: far longer than any timeout below; only a hang reaches it


async def _silent_server(done: asyncio.Event) -> tuple[asyncio.Server, int]:
    """Accepts connections, reads nothing and says nothing until `done` (a stalled TLS
    handshake, a hung upstream)."""

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await done.wait()
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def test_a_tls_handshake_the_upstream_never_answers_times_out():
    async def scenario() -> None:
        done = asyncio.Event()
        server, port = await _silent_server(done)
        async with server:
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=1)
            context = ssl.create_default_context()
            loop = asyncio.get_running_loop()
            started = loop.time()
            with pytest.raises(httpcore.ConnectTimeout):
                await stream.start_tls(context, server_hostname="localhost", timeout=0.3)
            # Reported on its own timeout, not when something above gave up waiting (a
            # half-closed TLS transport must not be waited on).
            assert loop.time() - started < LIVENESS / 2
            done.set()

    asyncio.run(asyncio.wait_for(scenario(), LIVENESS))


def test_an_upstream_that_accepts_and_never_answers_is_a_read_timeout_through_httpx():
    async def scenario() -> None:
        done = asyncio.Event()
        server, port = await _silent_server(done)
        async with server:
            transport = UpstreamTransport(httpx.Limits(max_connections=2))
            request = httpx.Request(
                "POST",
                f"http://127.0.0.1:{port}/v1/chat/completions",
                content=b"{}",
                extensions={"timeout": httpx.Timeout(0.3).as_dict()},
            )
            with pytest.raises(httpx.ReadTimeout):
                await transport.handle_async_request(request)
            done.set()
            await transport.aclose()

    asyncio.run(asyncio.wait_for(scenario(), LIVENESS))


def test_nobody_listening_is_a_connect_error_through_httpx():
    async def scenario() -> None:
        server, port = await _silent_server(asyncio.Event())
        server.close()
        await server.wait_closed()
        transport = UpstreamTransport(httpx.Limits(max_connections=2))
        with pytest.raises(httpx.ConnectError):
            await transport.handle_async_request(
                httpx.Request("GET", f"http://127.0.0.1:{port}/v1/models")
            )
        await transport.aclose()

    asyncio.run(asyncio.wait_for(scenario(), LIVENESS))
