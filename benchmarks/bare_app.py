"""The baseline: a bare FastAPI endpoint with no middleware, auth or database."""

from fastapi import FastAPI


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/bare")
    async def bare() -> dict[str, bool]:
        return {"ok": True}

    return app
