"""A real MLLP listener on loopback for tests: python-hl7's asyncio server in a thread, answering as told.

behaviour: "AA", "AE", "AR" (acknowledge with that code), "silent" (read, never
answer), "close" (read a few bytes of the message, then hang up), "wrong-id"
(accept with AA, but quote another message's control id in MSA-2).
"""

from __future__ import annotations

import asyncio
import threading

import hl7
from hl7.mllp import start_hl7_server


class Listener:
    def __init__(self, behaviour: str = "AA") -> None:
        self.behaviour = behaviour
        self.received: list[hl7.Message] = []
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    async def _handle(self, reader, writer) -> None:
        self.connections += 1
        try:
            if self.behaviour == "close":
                await reader.read(10)
                return
            message = await reader.readmessage()
            self.received.append(message)
            if self.behaviour == "silent":
                await asyncio.sleep(30)
                return
            ack = message.create_ack("AA" if self.behaviour == "wrong-id" else self.behaviour)
            if self.behaviour == "wrong-id":
                ack.segment("MSA").assign_field(f"{message.segment('MSH')[10]}-OTHER", 2)
            elif self.behaviour != "AA":
                ack.segment("MSA").assign_field("patient unknown here", 3)
            writer.writemessage(ack)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            # UTF-8, as the messages' MSH-18 says; strict: a byte that is not UTF-8 fails the read
            server = await start_hl7_server(self._handle, "127.0.0.1", 0, encoding="utf-8", encoding_errors="strict")
            self.port = server.sockets[0].getsockname()[1]
            self._server = server
            self._ready.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()

    def __enter__(self) -> Listener:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *exc) -> None:
        async def stop() -> None:
            self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    @property
    def url(self) -> str:
        return f"mllp://127.0.0.1:{self.port}"
