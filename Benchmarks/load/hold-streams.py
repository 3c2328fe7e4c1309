#!/usr/bin/env python3
"""Opens N Server-Sent Events streams (GET URL, no credentials) on one event loop and holds them.

Used by wrk-streams.sh. Prints one line once every attempt has its answer:
    streams: <N> attempted, <ok> open (200), <refused> refused (503), <other> other
then keeps the open ones (reading their keep-alives) until SIGTERM or SIGINT.

Usage: hold-streams.py N URL
"""
import asyncio
import signal
import sys
from urllib.parse import urlsplit


async def open_stream(host, port, path, results, held):
    try:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode())
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=30)
        parts = status_line.split()
        status = int(parts[1]) if len(parts) > 1 else 0
    except Exception:
        results["other"] += 1
        return
    if status == 200:
        results["ok"] += 1
        held.append((reader, writer))
    else:
        results["refused" if status == 503 else "other"] += 1
        writer.close()


async def drain(reader):
    try:
        while await reader.read(4096):
            pass
    except Exception:
        pass


async def main():
    count, url = int(sys.argv[1]), sys.argv[2]
    parts = urlsplit(url)
    results = {"ok": 0, "refused": 0, "other": 0}
    held = []
    # At most 200 connection attempts in flight at once, so the listen backlog is not the limit.
    gate = asyncio.Semaphore(200)

    async def attempt():
        async with gate:
            await open_stream(parts.hostname, parts.port, parts.path + (("?" + parts.query) if parts.query else ""), results, held)

    await asyncio.gather(*(attempt() for _ in range(count)))
    print(f"streams: {count} attempted, {results['ok']} open (200), {results['refused']} refused (503), {results['other']} other", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    readers = [asyncio.create_task(drain(reader)) for reader, _ in held]
    await stop.wait()
    for task in readers:
        task.cancel()
    for _, writer in held:
        writer.close()


asyncio.run(main())
