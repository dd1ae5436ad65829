"""A tiny client for OnAir's JSON API, as a browser would use it (cookie session)."""

from __future__ import annotations

import http.cookiejar
import json
import urllib.error
import urllib.request
import uuid


class ApiError(Exception):
    def __init__(self, status: int, body: dict):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body

    @property
    def code(self) -> str | None:
        return (self.body.get("error") or {}).get("code")


class PlatformClient:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with self.opener.open(req, timeout=10) as resp:
                raw = resp.read()
                return json.loads(raw) if raw else {}
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = {"raw": raw.decode(errors="replace")}
            raise ApiError(e.code, parsed) from None

    def signup(self, name: str = "Ada", email: str | None = None, password: str = "correct horse battery") -> dict:
        email = email or f"{uuid.uuid4().hex[:12]}@example.com"
        return self.request("POST", "/api/auth/signup", {"email": email, "password": password, "name": name})

    def create_stream(self, title: str = "Interop stream", **extra) -> dict:
        return self.request("POST", "/api/streams", {"title": title, **extra})

    def token(self, stream_id: str) -> dict:
        return self.request("POST", f"/api/streams/{stream_id}/token")

    def stream(self, stream_id: str) -> dict:
        return self.request("GET", f"/api/streams/{stream_id}")

    def patch(self, stream_id: str, body: dict) -> dict:
        return self.request("PATCH", f"/api/streams/{stream_id}", body)

    def remove_participant(self, stream_id: str, identity: str) -> dict:
        return self.request("POST", f"/api/streams/{stream_id}/participants/{identity}/remove")
