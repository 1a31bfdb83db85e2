"""Picking backends, collapsing duplicate work, passing deadlines on."""

from __future__ import annotations

import asyncio
from typing import Dict

import weir

picker: weir.Picker[str] = weir.Picker(["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"])
flights = weir.SingleFlight(capacity=1024)
callee = weir.Deadline(timeout=0.3, margin=0.005)


def call(path: str, incoming: Dict[str, str]) -> Dict[str, str]:
    own = weir.deadline_from_grpc_timeout(incoming["grpc-timeout"]) if "grpc-timeout" in incoming else None
    pick = picker.pick()
    with pick as node:
        pick.report(cpu_permille=420)
        return {"node": node, "path": path, "grpc-timeout": weir.format_grpc_timeout(callee.budget(own))}


def load_user(user_id: str) -> str:
    return flights.do(f"user:{user_id}", lambda: f"user {user_id}")


async def load_user_async(user_id: str) -> str:
    async def fetch() -> str:
        await asyncio.sleep(0.01)
        return f"user {user_id}"

    return await flights.do_async(f"user:{user_id}", fetch)


if __name__ == "__main__":
    print(call("/v1/items", {"grpc-timeout": "200m"}), load_user("7"), asyncio.run(load_user_async("8")))
