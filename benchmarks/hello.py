"""The bare Litestar app `benchmarks/web_load.py` measures the service against: one plain-text route."""

from litestar import Litestar, get


@get("/", media_type="text/plain")
async def hello() -> str:
    return "hello"


app = Litestar([hello])
