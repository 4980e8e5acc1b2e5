"""A small ActivityPub "fan server" built from bovine's building blocks.

One Person actor, "fan", with an RSA key pair made by bovine, a personal inbox and the shared
inbox `/inbox`, followers and following collections, WebFinger, and the fan's own notes (its
replies) at `/notes/{id}`. The HTTP server is aiohttp's (a bovine dependency); everything
ActivityPub is bovine's:

- the actor document is built with `bovine.activitystreams.Actor`;
- every inbox POST is checked with bovine's `SignatureChecker` (draft-cavage HTTP signature
  and digest), with the signer's key fetched by a signed GET (`BovineActor.get`) and read with
  `bovine.parse.Actor.cryptographic_identifiers`;
- accepted activities are parsed with `bovine.parse.Activity` (JSON-LD compaction against
  bovine's own `about:bovine` context) and kept in memory with the raw request;
- GETs that arrive signed (Roadie signs its fetches) are verified the same way.

Used in-process by scenario.py. Runs on its own for manual poking:
    python fan_server.py 8090        (serves http://localhost:8090/users/fan)
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

FAN = "fan"
FAN_NAME = "A Fan"
HERE = Path(__file__).resolve().parent


def preload_contexts() -> None:
    """Gives bovine's JSON-LD loader the W3C contexts it would fetch from the web.

    bovine resolves `@context` URLs over the network and caches them (in memory and in
    `bovine_jsonld_cache.sqlite` in the working directory). The harness has no network but
    loopback, so a failed fetch would be cached as an empty context. `contexts.json` holds the
    published documents (security/v1, did/v1, multikey/v1); ActivityStreams is built into
    bovine.
    """
    from bovine.jsonld import jsonld_cache

    for url, context in json.loads((HERE / "contexts.json").read_text()).items():
        jsonld_cache.cache[url] = context


def parse_signature_header(value: str | None) -> dict[str, str]:
    """The fields of a draft-cavage `Signature` header (for reporting only)."""
    import re

    return dict(re.findall(r'([a-zA-Z]+)="([^"]*)"', value or ""))


@dataclass
class InboxRequest:
    path: str
    headers: dict[str, str]
    body: str
    json: Any
    signature: dict[str, str]
    verified_controller: str | None = None
    verify_error: str | None = None
    status: int | None = None
    response_text: str | None = None


@dataclass
class Received:
    kind: str
    id: str | None
    actor_id: str | None
    object_id: str | None
    activity: Any  # bovine.parse.Activity
    json: dict
    at: float


@dataclass
class Store:
    inbox_requests: list[InboxRequest] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    following: set[str] = field(default_factory=set)
    followers: set[str] = field(default_factory=set)
    notes: dict[str, dict] = field(default_factory=dict)
    other_requests: list[dict] = field(default_factory=list)


class FanServer:
    """The fan's server. `start()` binds it; `actor` is a `BovineActor` that signs as the fan."""

    def __init__(self, port: int, hostname: str = "localhost", bind: str = "127.0.0.1", log=print):
        import bovine
        from bovine.activitystreams import Actor
        from bovine.crypto import generate_rsa_public_private_key

        preload_contexts()
        self.port = port
        self.bind = bind
        self.log = log
        self.origin = f"http://{hostname}:{port}"
        self.actor_id = f"{self.origin}/users/{FAN}"
        self.key_id = f"{self.actor_id}#main-key"
        self.shared_inbox = f"{self.origin}/inbox"
        self.public_pem, self.private_pem = generate_rsa_public_private_key()
        self.store = Store()
        self.actor_document = Actor(
            id=self.actor_id,
            type="Person",
            name=FAN_NAME,
            preferred_username=FAN,
            inbox=f"{self.actor_id}/inbox",
            outbox=f"{self.actor_id}/outbox",
            followers=f"{self.actor_id}/followers",
            following=f"{self.actor_id}/following",
            summary="bovine-based test peer for Roadie's interop harness",
            url=f"{self.origin}/@{FAN}",
            public_key=self.public_pem,
            public_key_name="main-key",
            properties={"endpoints": {"sharedInbox": self.shared_inbox}},
        ).build(visibility=bovine.types.Visibility.OWNER)
        # Signs the fan's POSTs and GETs (draft-cavage, rsa-sha256).
        self.actor = bovine.BovineActor(
            actor_id=self.actor_id, public_key_url=self.key_id, secret=self.private_pem
        )
        self._keys: dict[str, Any] = {}
        self._runner: web.AppRunner | None = None
        self._checker = None

    # -- keys and signatures -------------------------------------------------------------------

    async def retrieve_key(self, key_id: str):
        """bovine's key retriever: the key's document (its actor) fetched signed as the fan."""
        from bovine.parse import Actor

        if key_id in self._keys:
            return self._keys[key_id]
        document = await self.actor.get(key_id.split("#")[0], fail_silently=True)
        if not isinstance(document, dict):
            return None
        for identifier in Actor(document).cryptographic_identifiers:
            if identifier.id == key_id:
                self._keys[key_id] = identifier
                return identifier
        return None

    async def verify(self, method: str, url: str, headers, body: bytes) -> str | None:
        """The controller of the key that signed the request, or None (bovine's checker)."""

        async def get_body():
            return body

        return await self._checker.validate_signature(method, url, headers, get_body)

    async def verify_recorded_gets(self) -> None:
        """Checks the signatures of the signed GETs served so far.

        Done afterwards, not while serving: fetching the signer's key is itself a signed GET,
        and checking that one inline would go round in circles.
        """
        for entry in self.store.other_requests:
            if entry["signed"] and entry["verified"] is None and "raw" in entry:
                method, url, headers = entry.pop("raw")
                try:
                    entry["verified"] = await self.verify(method, url, headers, b"") or False
                except Exception as e:  # a failed check is reported, never fatal
                    entry["verified"] = False
                    entry["verify_error"] = repr(e)

    # -- HTTP ----------------------------------------------------------------------------------

    def _json(self, data: Any, status: int = 200) -> web.Response:
        return web.Response(status=status, text=json.dumps(data), content_type="application/activity+json")

    async def _record_get(self, request: web.Request) -> None:
        entry = {
            "method": request.method,
            "path": request.path_qs,
            "accept": request.headers.get("accept"),
            "user_agent": request.headers.get("user-agent"),
            "signed": parse_signature_header(request.headers.get("signature")) or None,
            "verified": None,
        }
        if entry["signed"]:
            entry["raw"] = (
                request.method,
                str(request.url),
                {k.lower(): v for k, v in request.headers.items()},
            )
        self.store.other_requests.append(entry)

    async def handle_actor(self, request: web.Request) -> web.Response:
        await self._record_get(request)
        if request.match_info["name"] != FAN:
            return web.Response(status=404)
        return self._json(self.actor_document)

    async def handle_webfinger(self, request: web.Request) -> web.Response:
        from bovine.utils import webfinger_response_json

        await self._record_get(request)
        resource = request.query.get("resource", "")
        host = self.origin.split("://", 1)[1]
        if resource not in (f"acct:{FAN}@{host}", self.actor_id):
            return web.Response(status=404)
        return web.Response(
            text=json.dumps(webfinger_response_json(f"acct:{FAN}@{host}", self.actor_id)),
            content_type="application/jrd+json",
        )

    async def handle_collection(self, request: web.Request) -> web.Response:
        from bovine.activitystreams import OrderedCollection

        await self._record_get(request)
        which = request.match_info["which"]
        items = {
            "followers": sorted(self.store.followers),
            "following": sorted(self.store.following),
            "outbox": [],
        }[which]
        return self._json(OrderedCollection(id=f"{self.actor_id}/{which}", items=items).build())

    async def handle_note(self, request: web.Request) -> web.Response:
        await self._record_get(request)
        note = self.store.notes.get(f"{self.origin}/notes/{request.match_info['id']}")
        if note is None:
            return web.Response(status=404)
        return self._json(note)

    async def handle_inbox(self, request: web.Request) -> web.Response:
        from bovine.parse import Activity

        body = await request.read()
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        record = InboxRequest(
            path=request.path,
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body.decode("utf-8", "replace"),
            json=data,
            signature=parse_signature_header(request.headers.get("signature")),
        )
        self.store.inbox_requests.append(record)

        def answer(status: int, text: str = "") -> web.Response:
            record.status = status
            record.response_text = text or None
            kind = data.get("type") if isinstance(data, dict) else "(not JSON)"
            self.log(f"# fan inbox: POST {request.path} {kind} -> {status} {text}".rstrip())
            return web.Response(status=status, text=text)

        try:
            record.verified_controller = await self.verify(
                request.method, str(request.url), request.headers, body
            )
        except Exception as e:
            record.verify_error = repr(e)
        if record.verified_controller is None:
            return answer(401, f"signature not verified {record.verify_error or ''}".strip())
        if not isinstance(data, dict):
            return answer(400, "not a JSON object")
        try:
            activity = Activity(data)
            actor_id = activity.actor_id
        except Exception as e:
            return answer(400, f"bovine could not parse it: {e!r}")
        if actor_id != record.verified_controller:
            return answer(401, f"signed by {record.verified_controller}, not the actor {actor_id}")

        entry = Received(
            kind=activity.data.get("type"),
            id=activity.data.get("id"),
            actor_id=actor_id,
            object_id=activity.object_id,
            activity=activity,
            json=data,
            at=time.time(),
        )
        self.store.received.append(entry)
        self.log(f"# fan inbox: {entry.kind} {entry.id} (actor {entry.actor_id})")
        if entry.kind == "Follow":
            self.store.followers.add(actor_id)
        return answer(202)

    # -- life cycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        from bovine.crypto.signature_checker import SignatureChecker

        if self.actor.client is None:  # the caller may have given it a session already
            await self.actor.init()
        self._checker = SignatureChecker(self.retrieve_key)
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_get("/.well-known/webfinger", self.handle_webfinger)
        app.router.add_get("/users/{name}", self.handle_actor)
        app.router.add_get("/users/fan/{which:followers|following|outbox}", self.handle_collection)
        app.router.add_get("/notes/{id}", self.handle_note)
        app.router.add_post("/users/fan/inbox", self.handle_inbox)
        app.router.add_post("/inbox", self.handle_inbox)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.bind, self.port).start()

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self.actor.session is not None:
            await self.actor.session.close()


async def _standalone(port: int) -> None:
    fan = FanServer(port)
    await fan.start()
    print(f"fan server on {fan.actor_id}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    os.chdir(os.environ.get("TMPDIR", "/tmp"))  # bovine writes its JSON-LD cache to the cwd
    asyncio.run(_standalone(int(sys.argv[1]) if len(sys.argv) > 1 else 8090))
