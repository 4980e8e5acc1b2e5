"""The interop scenario with a bovine fan server (see ../README.md).

The fan looks up the artist by WebFinger, follows it, receives and verifies what Roadie
federates (post, release with an audio attachment, show Event, profile update, deletions),
boosts, likes and replies (then undoes the Like, edits and deletes the reply), and unfollows.
Each step is checked on the fan's side (bovine's signature check and parser, the fan's store)
and on Roadie's side (its API and pages). Every check prints "ok - name" or
"not ok - name: reason"; run.sh counts them.

Environment (all set by ../run.sh):
  ROADIE_ORIGIN   e.g. http://localhost:18080      ROADIE_TOKEN  API bearer token
  ROADIE_USER     the artist's username (band)     FAN_PORT      port for the fan server
  CAPTURE_DIR     where to write the captured activities as pretty JSON
  STEP_TIMEOUT_MS how long to wait for each asynchronous arrival (default 20000)
  ROADIE_AUTHORIZED_FETCH=true  Roadie serves documents only to signed GETs
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import struct
import sys
import tempfile
import time
import uuid
import zlib
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
# bovine keeps a JSON-LD cache file in the working directory: keep it out of the repository.
os.chdir(tempfile.mkdtemp(prefix="roadie-bovine-"))
# bovine's own switch: retry WebFinger over http:// when https:// cannot connect (loopback).
os.environ.setdefault("BUTCHER_ALLOW_HTTP", "1")

import aiohttp  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402
from pyld import jsonld  # noqa: E402

import bovine  # noqa: E402
from bovine.activitystreams import factories_for_actor_object  # noqa: E402
from bovine.clients import lookup_uri_with_webfinger  # noqa: E402
from bovine.parse import Actor as ParsedActor  # noqa: E402
from bovine.parse import Object as ParsedObject  # noqa: E402

sys.path.insert(0, str(HERE))
from fan_server import FAN, FAN_NAME, FanServer, parse_signature_header  # noqa: E402


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        print(f"not ok - environment: {name} is not set", flush=True)
        sys.exit(2)
    return value


ROADIE = env("ROADIE_ORIGIN").rstrip("/")
TOKEN = env("ROADIE_TOKEN")
USER = env("ROADIE_USER", "band")
FAN_PORT = int(env("FAN_PORT"))
CAPTURE_DIR = Path(env("CAPTURE_DIR"))
STEP_TIMEOUT = int(env("STEP_TIMEOUT_MS", "20000")) / 1000
EFFECT_TIMEOUT = min(STEP_TIMEOUT, 5.0)  # Roadie acts on an inbox activity before it answers
AUTHORIZED = os.environ.get("ROADIE_AUTHORIZED_FETCH") == "true"
ROADIE_HOST = ROADIE.split("://", 1)[1]
HANDLE = f"{USER}@{ROADIE_HOST}"
ACTOR_URL = f"{ROADIE}/users/{USER}"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_FORMS = {PUBLIC, "as:Public", "Public"}

print(f"# peer: bovine {version('bovine')} on Python {sys.version.split()[0]}", flush=True)
print(f"# authorized fetch: {'on' if AUTHORIZED else 'off'} (bovine signs every GET either way)")

# ----------------------------------------------------------------------------------------------
# Checks.
results: list[bool] = []


class CheckFailed(Exception):
    pass


def require(condition, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


async def check(name: str, fn) -> bool:
    try:
        detail = await fn()
        results.append(True)
        print(f"ok - {name}{f' # {detail}' if isinstance(detail, str) else ''}", flush=True)
        return True
    except Exception as e:  # a check reports its failure, and the run goes on
        results.append(False)
        reason = str(e) if isinstance(e, CheckFailed) else f"{type(e).__name__}: {e}"
        reason = re.sub(r"\s+", " ", reason)[:600]
        print(f"not ok - {name}: {reason}", flush=True)
        return False


async def wait_for(what: str, fn, timeout: float = STEP_TIMEOUT):
    """Polls fn() (sync or async) every 200 ms until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(0.2)
    raise CheckFailed(f"timed out after {timeout:g}s waiting for {what}")


# ----------------------------------------------------------------------------------------------
# A wire tap on the fan's HTTP client (aiohttp tracing): the exact headers and body bovine put
# on the wire, and Roadie's answer.
wire: list[dict] = []


async def _on_start(_session, ctx, params):
    ctx.entry = {
        "method": params.method,
        "url": str(params.url),
        "headers": {k.lower(): v for k, v in params.headers.items()},
        "body": b"",
    }
    wire.append(ctx.entry)


async def _on_chunk(_session, ctx, params):
    ctx.entry["body"] += params.chunk


async def _on_end(_session, ctx, params):
    ctx.entry["status"] = params.response.status


async def _on_exception(_session, ctx, params):
    ctx.entry["error"] = repr(params.exception)


def tracing() -> aiohttp.TraceConfig:
    trace = aiohttp.TraceConfig(trace_config_ctx_factory=lambda trace_request_ctx: SimpleNamespace())
    trace.on_request_start.append(_on_start)
    trace.on_request_chunk_sent.append(_on_chunk)
    trace.on_request_end.append(_on_end)
    trace.on_request_exception.append(_on_exception)
    return trace


def capture(name: str, data) -> None:
    CAPTURE_DIR.mkdir(parents=True, exist_ok=True)
    (CAPTURE_DIR / f"{name}.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def describe_signature(headers: dict) -> str:
    sig = parse_signature_header(headers.get("signature"))
    return f'algorithm={sig.get("algorithm", "?")} headers="{sig.get("headers", "?")}"'


# ----------------------------------------------------------------------------------------------
async def main() -> int:
    session = aiohttp.ClientSession(
        trace_configs=[tracing()], timeout=aiohttp.ClientTimeout(total=STEP_TIMEOUT)
    )
    plain = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=STEP_TIMEOUT))
    fan = FanServer(FAN_PORT, log=lambda line: print(line, flush=True))
    await fan.actor.init(session=session)
    await fan.start()
    actor = fan.actor  # BovineActor: signed POSTs and GETs as the fan
    store = fan.store
    print(f"# fan: {fan.actor_id} (RSA key {fan.key_id})   roadie: {ACTOR_URL}")
    # Activities get ids under /activities/, the fan's notes under /notes/ (where it serves them).
    activity_factory, _ = factories_for_actor_object(
        fan.actor_document, id_generator=lambda: f"{fan.origin}/activities/{uuid.uuid4()}"
    )
    _, note_factory = factories_for_actor_object(
        fan.actor_document, id_generator=lambda: f"{fan.origin}/notes/{uuid.uuid4()}"
    )
    note_factory.actor = actor  # reply_with_mention fetches the author for the Mention's name

    async def api(method: str, path: str, body=None):
        async with plain.request(
            method,
            f"{ROADIE}{path}",
            headers={"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"},
            json=body,
        ) as response:
            text = await response.text()
            try:
                data = json.loads(text) if text else None
            except ValueError:
                data = None
            return response.status, data, text

    async def send(activity: dict, inbox: str):
        """POSTs an activity signed by bovine; returns the wire entry (status, headers, body)."""
        before = len(wire)
        response = await actor.client.post(inbox, json.dumps(activity))
        text = await response.text()
        posts = [w for w in wire[before:] if w["method"] == "POST"]
        require(posts, "bovine made no POST")
        entry = posts[-1]
        entry["response_text"] = text
        require(200 <= response.status < 300, f"Roadie answered {response.status}: {text[:300]}")
        return entry

    def received(kind: str, object_id: str | None = None):
        for r in store.received:
            if r.kind == kind and (object_id is None or r.object_id == object_id):
                return r
        return None

    def request_for(activity_id: str):
        return next(
            (r for r in store.inbox_requests if isinstance(r.json, dict) and r.json.get("id") == activity_id),
            None,
        )

    def verified(entry) -> str:
        req = request_for(entry.id)
        require(req is not None, f"no raw request for {entry.id}")
        require(
            req.verified_controller == ACTOR_URL,
            f"bovine verified {req.verified_controller} {req.verify_error or ''}",
        )
        require(req.signature.get("keyId") == f"{ACTOR_URL}#main-key", f"keyId {req.signature.get('keyId')}")
        return f"to {req.path} -> {req.status}; {describe_signature(req.headers)}"

    async def created_object(entry) -> ParsedObject:
        obj = await entry.activity.object_for_create(actor.get)
        require(obj is not None, "bovine found no object in the Create")
        return obj

    def as_list(value):
        if value is None:
            return []
        return value if isinstance(value, list) else [value]

    def is_public(data: dict) -> bool:
        return any(a in PUBLIC_FORMS for a in as_list(data.get("to")) + as_list(data.get("cc")))

    # Roadie's side: API counts and pages.
    async def expect_counts(kind: str, ident, want: dict) -> str:
        last = {}
        polls = 0

        async def matches():
            nonlocal last, polls
            polls += 1
            last = await api("GET", f"/api/v1/{kind}/{ident}")
            counts = (last[1] or {}).get("counts") or {}
            return all(counts.get(k) == v for k, v in want.items())

        try:
            await wait_for(f"counts {want}", matches, EFFECT_TIMEOUT)
        except CheckFailed as e:
            raise CheckFailed(
                f"{e}; GET /api/v1/{kind}/{ident} last answered {last[0]}: {last[2][:300]}"
            ) from None
        return f"counts {last[1]['counts']} after {polls} GET(s)"

    def text_of(html: str) -> str:
        soup = BeautifulSoup(html, "lxml")
        for tag in soup(["script", "style"]):
            tag.decompose()
        return re.sub(r"\s+", " ", soup.get_text(" ")).strip()

    def page_counts(text: str) -> dict:
        def n(pattern):
            m = re.search(pattern, text, re.I)
            return int(m.group(1)) if m else None

        return {
            "boosts": n(r"(\d+) boosts?\b"),
            "likes": n(r"(\d+) likes?\b"),
            "replies": n(r"(\d+) repl(?:y|ies)\b"),
        }

    async def expect_page(url: str, ready) -> dict:
        page = {}

        async def fetch():
            async with plain.get(url, headers={"Accept": "text/html"}) as response:
                html = await response.text()
                page.update(
                    status=response.status,
                    type=response.headers.get("content-type", ""),
                    html=html,
                    text=text_of(html),
                )
            return page["status"] == 200 and ready(page)

        try:
            await wait_for(f"the page {url}", fetch, EFFECT_TIMEOUT)
        except CheckFailed as e:
            raise CheckFailed(
                f"{e}; GET {url} answered {page.get('status')}; text: {page.get('text', '')[-400:]!r}"
            ) from None
        require(page["type"].startswith("text/html"), f"Content-Type {page['type']}")
        page["counts"] = page_counts(page["text"])
        return page

    def assert_page_counts(page: dict, want: dict) -> None:
        for k, v in want.items():
            require(
                page["counts"].get(k) == v,
                f"the page shows {k} {page['counts'].get(k)}, not {v}: {page['counts']}",
            )

    async def followers_total():
        data = await actor.get(f"{ACTOR_URL}/followers", fail_silently=True)
        return data.get("totalItems") if isinstance(data, dict) else None

    state = SimpleNamespace(
        band=None,
        band_json=None,
        follow=None,
        post=None,
        post_note=None,
        like=None,
        boost=None,
        reply=None,
        reply_note=None,
    )
    run = uuid.uuid4().hex[:8]
    post_text = f"Interop night {run}: new single out now"
    reply_text = f"Great song {run}, played it twice"
    edited_reply_text = f"Even better live {run}, edited"
    fan_handle = f"{FAN}@{fan.origin.split('://', 1)[1]}"

    # a. Discovery ------------------------------------------------------------------------------
    async def a_webfinger():
        started = len(wire)
        href, _ = await lookup_uri_with_webfinger(session, f"acct:{HANDLE}")
        tried = [w["url"].split("?")[0] for w in wire[started:]]
        require(href == ACTOR_URL, f"lookup gave {href}; tried {tried}")
        how = (
            "https first, then http (BUTCHER_ALLOW_HTTP)"
            if any(t.startswith("https://") for t in tried)
            else "http"
        )
        async with plain.get(f"{ROADIE}/.well-known/webfinger", params={"resource": f"acct:{HANDLE}"}) as r:
            capture("received-webfinger", await r.json(content_type=None))
        return f"self -> {href}; {how}"

    await check(f"a. WebFinger acct:{HANDLE} through bovine's lookup_uri_with_webfinger", a_webfinger)

    async def a_actor():
        data = await actor.get(ACTOR_URL)
        require(isinstance(data, dict), f"GET {ACTOR_URL} gave {data!r}"[:200])
        capture("received-actor", data)
        band = ParsedActor(data)
        require(band.id == ACTOR_URL, f"id {band.id}")
        require(band.data.get("type") == "Person", f"type {band.data.get('type')}")
        require(band.data.get("inbox") == f"{ACTOR_URL}/inbox", f"inbox {band.data.get('inbox')}")
        shared = (band.data.get("endpoints") or {}).get("sharedInbox")
        require(shared == f"{ROADIE}/inbox", f"sharedInbox {shared}")
        keys = {k.id: k for k in band.cryptographic_identifiers}
        key = keys.get(f"{ACTOR_URL}#main-key")
        require(key is not None, f"keys {list(keys)}")
        require(key.controller == ACTOR_URL, f"key controller {key.controller}")
        require(
            await band.validate_acct_uri(session),
            f"acct URI {band.unvalidated_acct_uri} not confirmed by WebFinger",
        )
        require(f"acct:{HANDLE}" in band.identifiers, f"identifiers {band.identifiers}")
        state.band = band
        state.band_json = data
        return f"name {band.data.get('name')!r}, identifiers {sorted(band.identifiers)}"

    await check(
        "a. bovine fetches the actor (signed GET) and parses it: inbox, shared inbox, RSA key, acct: URI",
        a_actor,
    )

    # b. Follow ---------------------------------------------------------------------------------
    async def b_follow():
        require(state.band, "no actor (check a failed)")
        follow = activity_factory.follow(ACTOR_URL).build()
        w = await send(follow, state.band.data["inbox"])
        state.follow = follow
        store.following.add(ACTOR_URL)
        capture("sent-follow", json.loads(w["body"]))
        return f"POST {w['url']} -> {w['status']}; {describe_signature(w['headers'])}"

    await check(
        "b. fan sends Follow built by bovine's ActivityFactory, signed by bovine (answered 2xx)", b_follow
    )

    # c. Accept ---------------------------------------------------------------------------------
    async def c_accept():
        require(state.follow, "no Follow sent")
        got = await wait_for("Accept", lambda: received("Accept", state.follow["id"]))
        require(got.actor_id == ACTOR_URL, f"Accept actor {got.actor_id}")
        follow = await got.activity.accept_for_follow(actor.get)
        require(follow is not None, "bovine's accept_for_follow did not find our Follow in it")
        require(follow.data.get("id") == state.follow["id"], f"accepted {follow.data.get('id')}")
        capture("received-accept", got.json)
        return verified(got)

    await check(
        "c. Roadie's Accept{Follow} arrives; bovine verifies its signature and accept_for_follow returns our Follow",
        c_accept,
    )

    refused_copies: set[int] = set()  # the harness's own forged POSTs, not Roadie's deliveries

    async def c_refusals():
        """bovine's checker is not a formality: unsigned and tampered copies are refused."""
        accept = next((r for r in store.inbox_requests if (r.json or {}).get("type") == "Accept"), None)
        require(accept is not None, "no Accept arrived")
        before, requests_before = len(store.received), len(store.inbox_requests)
        url = f"{fan.origin}{accept.path}"
        headers = {
            k: v for k, v in accept.headers.items() if k not in ("host", "content-length", "signature")
        }
        async with plain.post(url, data=accept.body.encode(), headers=headers) as r:
            require(r.status == 401, f"an unsigned copy of the Accept was answered {r.status}")
        tampered = accept.body.replace("Accept", "Reject", 1).encode()
        headers["signature"] = accept.headers["signature"]
        async with plain.post(url, data=tampered, headers=headers) as r:
            require(
                r.status == 401,
                f"a copy with a changed body (same signature and digest) was answered {r.status}",
            )
        refused_copies.update(id(r) for r in store.inbox_requests[requests_before:])
        require(len(refused_copies) == 2, f"{len(refused_copies)} copies reached the inbox")
        require(len(store.received) == before, "a refused copy was stored")
        return "unsigned: 401; body changed under the same signature: 401"

    await check(
        "c. the fan's inbox refuses an unsigned copy and a tampered copy of Roadie's Accept", c_refusals
    )

    async def c_followers():
        await wait_for("followers totalItems 1", lambda: _eq(followers_total(), 1))
        status, profile, text = await api("GET", "/api/v1/profile")
        require((profile or {}).get("followers") == 1, f"GET /api/v1/profile: {status} {text[:200]}")
        return "totalItems 1, profile followers 1"

    async def _eq(coro, want):
        return await coro == want

    await check(
        "c. Roadie's followers collection totalItems is 1 (signed GET), and the API says 1", c_followers
    )

    # d. Create{Note} ---------------------------------------------------------------------------
    async def d_create():
        status, post, text = await api(
            "POST", "/api/v1/posts", {"content": post_text, "visibility": "public"}
        )
        require(
            status == 201 and post and post.get("url"), f"POST /api/v1/posts answered {status}: {text[:300]}"
        )
        state.post = post
        got = await wait_for("Create{Note}", lambda: received("Create", post["url"]))
        note = await created_object(got)
        require(note.data.get("type") == "Note", f"object type {note.data.get('type')}")
        require(note.identifier == post["url"], f"note id {note.identifier} != API url {post['url']}")
        require(post_text in (note.data.get("content") or ""), f"content {note.data.get('content')!r}")
        require(note.attributed_to_id == ACTOR_URL, f"attributedTo {note.attributed_to_id}")
        require(is_public(note.data), f"not addressed to Public: to {note.data.get('to')}")
        state.post_note = got.json["object"]
        capture("received-create-note", got.json)
        return verified(got)

    await check(
        "d. post via Roadie's API reaches the fan as Create{Note}; bovine verifies and parses it", d_create
    )

    async def d_dereference():
        require(state.post, "no post")
        data = await actor.get(state.post["url"])
        require(
            isinstance(data, dict) and data.get("id") == state.post["url"],
            f"GET {state.post['url']} gave {str(data)[:200]}",
        )
        note = ParsedObject(data)
        require(post_text in (note.data.get("content") or ""), "dereferenced note lacks the text")
        capture("received-note", data)
        outbox = await actor.get_ordered_collection(f"{ACTOR_URL}/outbox")
        objects = [
            i.get("object") for i in outbox["items"] if isinstance(i, dict) and i.get("type") == "Create"
        ]
        ids = [o.get("id") if isinstance(o, dict) else o for o in objects]
        require(state.post["url"] in ids, f"outbox Creates {ids}")
        require(
            len(outbox["items"]) == outbox["total_items"],
            f"{len(outbox['items'])} items, totalItems {outbox['total_items']}",
        )
        return f"outbox {outbox['total_items']} item(s) through bovine's get_ordered_collection"

    await check("d. bovine dereferences the post URL and pages through the outbox", d_dereference)

    # e. Interactions ---------------------------------------------------------------------------
    inbox = f"{ACTOR_URL}/inbox"
    shared_inbox = f"{ROADIE}/inbox"

    async def e_like():
        require(state.post, "no post")
        like = activity_factory.like(state.post["url"], to={ACTOR_URL}).build()
        w = await send(like, inbox)
        state.like = like
        capture("sent-like", json.loads(w["body"]))
        return f"POST {w['url']} -> {w['status']}"

    await check("e. fan sends Like of the post (answered 2xx)", e_like)

    async def e_announce():
        require(state.post, "no post")
        announce = activity_factory.announce(state.post["url"]).as_public().build()
        w = await send(announce, shared_inbox)
        state.boost = announce
        capture("sent-announce", json.loads(w["body"]))
        return f"POST {w['url']} -> {w['status']}"

    await check("e. fan sends Announce of the post via the shared inbox (answered 2xx)", e_announce)

    def reply_html(text: str) -> str:
        return f'<p><span class="h-card"><a href="{ROADIE}/@{USER}" class="u-url mention">@<span>{USER}</span></a></span> {text}</p>'

    async def make_reply(target: dict, text: str):
        note = (await note_factory.reply_with_mention(target, content=reply_html(text))).build()
        store.notes[note["id"]] = note
        return note, activity_factory.create(note).build()

    async def e_reply():
        require(state.post_note, "no post Note")
        note, create = await make_reply(state.post_note, reply_text)
        require(note.get("inReplyTo") == state.post["url"], f"inReplyTo {note.get('inReplyTo')}")
        mention = next((t for t in note.get("tag", []) if t.get("type") == "Mention"), None)
        require(mention and mention.get("href") == ACTOR_URL, f"tag {note.get('tag')}")
        w = await send(create, inbox)
        state.reply, state.reply_note = create, note
        capture("sent-reply-create", json.loads(w["body"]))
        return f"POST {w['url']} -> {w['status']}; Mention {mention.get('name')}"

    await check(
        "e. fan sends a reply built by bovine's reply_with_mention, Create{Note inReplyTo the post} (answered 2xx)",
        e_reply,
    )

    async def e_counts():
        require(state.post and state.like and state.boost and state.reply, "not all interactions were sent")
        return await expect_counts("posts", state.post["id"], {"boosts": 1, "likes": 1, "replies": 1})

    await check(
        "e. Roadie's API counts the post's boost, like and reply: boosts 1, likes 1, replies 1", e_counts
    )

    async def e_page():
        require(state.reply, "no reply sent")
        page = await expect_page(
            state.post["url"], lambda p: reply_text in p["text"] and f"@{fan_handle}" in p["text"]
        )
        require(FAN_NAME in page["text"], f"the author name {FAN_NAME!r} is not on the page")
        assert_page_counts(page, {"boosts": 1, "likes": 1, "replies": 1})
        return f"page counts {page['counts']}"

    await check("e. the post's HTML page shows the reply's text, the fan's name and handle", e_page)

    async def e_passers():
        require(state.boost, "no Announce sent")

        def passers(html: str) -> str:
            at = html.find("Top passers")
            if at < 0:
                return ""
            end = html.find("</section>", at)
            return text_of(re.sub(r"^[^<>]*>", "", html[at : end if end >= 0 else None]))

        page = await expect_page(f"{ROADIE}/@{USER}", lambda p: f"@{fan_handle}" in passers(p["html"]))
        section = passers(page["html"])
        m = re.search(re.escape(f"@{fan_handle}") + r"\s*\W?\s*(\d+)", section)
        require(m is None or int(m.group(1)) == 1, f"points {m and m.group(1)}: {section!r}")
        return f"@{fan_handle} listed, {m.group(1) if m else 'unknown'} point(s)"

    await check('e. the artist page (/@band, HTML) lists the fan under "Top passers"', e_passers)

    async def e_undo_like():
        require(state.like, "no Like sent")
        undo = activity_factory.undo(state.like).build()
        w = await send(undo, inbox)
        state.like = None
        capture("sent-undo-like", json.loads(w["body"]))
        obj = json.loads(w["body"]).get("object")
        return f"POST -> {w['status']}; object {'embedded' if isinstance(obj, dict) else 'by id'}"

    await check("e. fan sends Undo{Like} as bovine builds it (answered 2xx)", e_undo_like)

    async def e_after_undo():
        require(state.post and state.boost and state.like is None, "the Like was not undone")
        return await expect_counts("posts", state.post["id"], {"boosts": 1, "likes": 0, "replies": 1})

    await check("e. after Undo{Like}: likes 0, boosts still 1", e_after_undo)

    async def e_update_reply():
        require(state.reply_note, "no reply sent")
        edited = {
            **state.reply_note,
            "content": reply_html(edited_reply_text),
            "updated": bovine.utils.now_isoformat(),
        }
        update = activity_factory.update(edited).build()
        w = await send(update, inbox)
        state.reply_note = edited
        store.notes[edited["id"]] = edited
        capture("sent-update-reply", json.loads(w["body"]))
        return f"POST -> {w['status']}"

    await check("e. fan sends Update{Note} of its reply with new text (answered 2xx)", e_update_reply)

    async def e_after_update():
        require(state.reply_note and edited_reply_text in state.reply_note["content"], "no Update sent")
        page = await expect_page(state.post["url"], lambda p: edited_reply_text in p["text"])
        require(reply_text not in page["text"], "the old reply text is still on the page")
        assert_page_counts(page, {"replies": 1})
        return await expect_counts("posts", state.post["id"], {"boosts": 1, "likes": 0, "replies": 1})

    await check("e. after Update: the post page shows the new reply text, not the old", e_after_update)

    async def e_delete_reply():
        require(state.reply_note, "no reply sent")
        delete = activity_factory.delete(state.reply_note["id"]).as_public().build()
        w = await send(delete, inbox)
        store.notes.pop(state.reply_note["id"], None)
        state.reply_note = None
        capture("sent-delete-reply", json.loads(w["body"]))
        return f"POST -> {w['status']}; object by id"

    await check("e. fan sends Delete of its reply (bovine: the object by id) (answered 2xx)", e_delete_reply)

    async def e_after_delete():
        require(state.reply and state.reply_note is None, "the reply was not deleted")
        counts = await expect_counts("posts", state.post["id"], {"boosts": 1, "likes": 0, "replies": 0})
        page = await expect_page(state.post["url"], lambda p: edited_reply_text not in p["text"])
        require(f"@{fan_handle}" not in page["text"], "the fan's handle is still on the page")
        assert_page_counts(page, {"boosts": 1, "likes": 0, "replies": 0})
        return counts

    await check("e. after Delete: replies 0, and the reply is gone from the post page", e_after_delete)

    # f. Update{Person} -------------------------------------------------------------------------
    async def f_update_person():
        status, _, text = await api("PATCH", "/api/v1/profile", {"display_name": "The Band Live"})
        require(200 <= status < 300, f"PATCH /api/v1/profile answered {status}: {text[:200]}")
        got = await wait_for("Update{Person}", lambda: received("Update", ACTOR_URL))
        person = got.activity.data.get("object")
        require(isinstance(person, dict), f"object {person!r}"[:200])
        parsed = ParsedActor(person)
        require(parsed.data.get("name") == "The Band Live", f"name {parsed.data.get('name')}")
        require(
            any(k.id == f"{ACTOR_URL}#main-key" for k in parsed.cryptographic_identifiers),
            "the updated actor lost its key",
        )
        capture("received-update-person", got.json)
        return verified(got)

    await check(
        "f. profile PATCH reaches the fan as Update{Person}; bovine parses the new name and key",
        f_update_person,
    )

    # g. Delete ---------------------------------------------------------------------------------
    async def g_delete():
        require(state.post, "no post")
        status, _, text = await api("DELETE", f"/api/v1/posts/{state.post['id']}")
        require(status == 204, f"DELETE answered {status}: {text[:200]}")
        got = await wait_for("Delete of the post", lambda: received("Delete", state.post["url"]))
        gone = await actor.get(state.post["url"])
        require(
            isinstance(gone, dict) and gone.get("type") == "Tombstone", f"GET after delete: {str(gone)[:200]}"
        )
        capture("received-delete", got.json)
        return f"{verified(got)}; bovine's GET now gives a Tombstone"

    await check("g. post DELETE via the API reaches the fan as Delete of that id", g_delete)

    # r. A release ------------------------------------------------------------------------------
    run_tag = uuid.uuid4().hex[:6]
    hashtag = f"interop{run_tag}"
    release_title = f"Loopback Sessions {run_tag}"
    edited_title = f"Loopback Sessions {run_tag} (Deluxe)"
    tracks = [f"Handshake {run_tag}", f"Signature Blues {run_tag}"]
    mp3 = (HERE.parent.parent / "fixtures/media/tone.mp3").read_bytes()
    png = tiny_png()
    media = SimpleNamespace(cover=None, preview=None)
    rel = SimpleNamespace(release=None, create=None, note=None)

    async def upload(data: bytes, filename: str, content_type: str, description: str | None):
        form = aiohttp.FormData()
        form.add_field("file", data, filename=filename, content_type=content_type)
        if description:
            form.add_field("description", description)
        async with plain.post(
            f"{ROADIE}/api/v1/media", data=form, headers={"Authorization": f"Bearer {TOKEN}"}
        ) as r:
            text = await r.text()
            return r.status, (json.loads(text) if text.startswith("{") else None), text

    def release_body(title: str) -> dict:
        return {
            "title": title,
            "kind": "ep",
            "release_date": "2025-06-01",
            "description": f"Recorded **live** over loopback. Run {run_tag}.",
            "cover_media_id": media.cover and media.cover["id"],
            "tracks": [
                {"title": tracks[0], "preview_media_id": media.preview and media.preview["id"]},
                {"title": tracks[1]},
            ],
            "links": [
                {"kind": "buy", "label": "Bandcamp", "url": "https://band.example/buy", "payment": True},
                {"kind": "stream", "label": "Radio", "url": "https://band.example/listen", "payment": False},
            ],
            "hashtags": [hashtag],
        }

    async def r_uploads():
        status, cover, text = await upload(png, "cover.png", "image/png", "A tiny test cover")
        require(
            status == 201 and cover and cover.get("kind") == "image", f"cover upload {status}: {text[:200]}"
        )
        status, preview, text = await upload(mp3, "tone.mp3", "application/octet-stream", None)
        require(
            status == 201 and preview and preview.get("content_type") == "audio/mpeg",
            f"audio upload {status}: {text[:200]}",
        )
        media.cover, media.preview = cover, preview
        return f"cover {cover['id']} ({cover['width']}x{cover['height']}), audio {preview['id']}"

    await check("r. cover image and audio preview upload through POST /api/v1/media", r_uploads)

    async def r_create():
        require(media.cover and media.preview, "no media")
        status, release, text = await api("POST", "/api/v1/releases", release_body(release_title))
        require(
            status == 201 and release and release.get("state") == "published",
            f"POST /api/v1/releases {status}: {text[:300]}",
        )
        rel.release = release
        got = await wait_for("Create{Note} of the release", lambda: received("Create", release["url"]))
        note = await created_object(got)
        require(note.identifier == release["url"], f"note id {note.identifier}")
        require(note.data.get("url") == release["url"], f"url {note.data.get('url')}")
        require(note.attributed_to_id == ACTOR_URL, f"attributedTo {note.attributed_to_id}")
        require(is_public(note.data), "not public")
        rel.create, rel.note = got, note
        capture("received-create-release", got.json)
        return verified(got)

    await check(
        "r. release published via the API reaches the fan as Create{Note}; bovine verifies and parses it",
        r_create,
    )

    async def r_audio():
        require(rel.note, "no release Note")
        attachments = rel.note.data.get("attachment") or []
        audio = [a for a in attachments if str(a.get("mediaType", "")).startswith("audio/")]
        require(
            len(audio) == 1, f"{len(audio)} audio attachments among {[a.get('type') for a in attachments]}"
        )
        doc = audio[0]
        require(doc.get("type") == "Document", f"audio attachment type {doc.get('type')}")
        require(doc.get("mediaType") == "audio/mpeg", f"mediaType {doc.get('mediaType')}")
        require(doc.get("url") == media.preview["url"], f"url {doc.get('url')} != {media.preview['url']}")
        require(tracks[0] in str(doc.get("name")), f"name {doc.get('name')}")
        icon = doc.get("icon") or {}
        require(icon.get("type") == "Image" and icon.get("url") == media.cover["url"], f"icon {icon}")
        async with session.get(doc["url"]) as r:
            body = await r.read()
            require(
                r.status == 200 and r.headers.get("content-type", "").startswith("audio/mpeg"),
                f"GET {doc['url']}: {r.status} {r.headers.get('content-type')}",
            )
            require(body == mp3, f"served {len(body)} bytes, not the {len(mp3)} uploaded")
        cover = next((a for a in attachments if a.get("url") == media.cover["url"]), None)
        require(
            cover and cover.get("type") == "Document" and cover.get("width") == 2, f"cover attachment {cover}"
        )
        pay = next((a for a in attachments if a.get("type") == "Link"), None)
        require(pay and pay.get("href") == "https://band.example/buy", f"payment Link {pay}")
        return f"audio {doc['url']} ({len(body)} bytes), icon = cover, payment Link"

    await check(
        "r. bovine's parse keeps the audio Document (audio/mpeg, fetchable), its cover icon, the cover and payment Link",
        r_audio,
    )

    async def r_tags():
        require(rel.note, "no release Note")
        tag = next((t for t in rel.note.tags if t.get("type") == "Hashtag"), None)
        require(tag and str(tag.get("name")).lower() == f"#{hashtag}", f"tags {rel.note.tags}")
        require(str(tag.get("href", "")).startswith(ROADIE), f"Hashtag href {tag.get('href')}")
        content = rel.note.data.get("content") or ""
        require(release_title in content, "content lacks the title")
        items = re.findall(
            r"<li>(.*?)</li>", (re.search(r"<ol>(.*?)</ol>", content, re.S) or [None, ""])[1], re.S
        )
        require(len(items) == 2 and tracks[0] in items[0] and tracks[1] in items[1], f"tracklist {items}")
        return f"tag {tag['name']}; tracklist of {len(items)}"

    await check(
        "r. the release Note has its Hashtag, title and tracklist after bovine's JSON-LD compaction", r_tags
    )

    async def r_dereference():
        require(rel.create, "no release")
        data = await actor.get(rel.release["url"])
        require(isinstance(data, dict), f"GET gave {data!r}"[:200])
        capture("received-release-note", data)
        served = {k: v for k, v in data.items() if k != "@context"}
        require(served == rel.create.json["object"], "the served JSON differs from the delivered object")
        fetched = ParsedObject(data)
        require(
            fetched.data == ParsedObject(rel.create.json["object"] | {"@context": data["@context"]}).data,
            "bovine reads them differently",
        )
        return "served = delivered, and bovine reads them alike"

    await check("r. bovine dereferences the release URL and gets the delivered Note", r_dereference)

    async def r_update():
        require(rel.release, "no release")
        status, body, text = await api(
            "PUT", f"/api/v1/releases/{rel.release['id']}", release_body(edited_title)
        )
        require(200 <= status < 300, f"PUT answered {status}: {text[:200]}")
        got = await wait_for("Update of the release", lambda: received("Update", rel.release["url"]))
        note = (
            ParsedObject(got.activity.data["object"] | {"@context": got.json["@context"]})
            if isinstance(got.activity.data.get("object"), dict)
            else None
        )
        require(note and edited_title in (note.data.get("content") or ""), "content lacks the new title")
        published, updated = note.data.get("published"), note.data.get("updated")
        require(
            updated and published and parse_time(updated) > parse_time(published),
            f"updated {updated}, published {published}",
        )
        require(published == rel.create.json["object"]["published"], "published moved")
        capture("received-update-release", got.json)
        return f"{verified(got)}; updated {updated}"

    await check("r. release PUT (new title) reaches the fan as Update{Note} with a later `updated`", r_update)

    release_reply_text = f"Spinning the EP {run} on repeat"

    async def r_interact():
        require(rel.create, "no release")
        announce = activity_factory.announce(rel.release["url"]).as_public().build()
        a = await send(announce, shared_inbox)
        capture("sent-announce-release", json.loads(a["body"]))
        _, create = await make_reply(rel.create.json["object"], release_reply_text)
        c = await send(create, inbox)
        capture("sent-reply-release-create", json.loads(c["body"]))
        return f"Announce -> {a['status']}; reply -> {c['status']}"

    await check("r. fan boosts the release (shared inbox) and replies to it (answered 2xx)", r_interact)

    async def r_counts():
        require(rel.release, "no release")
        counts = await expect_counts("releases", rel.release["id"], {"boosts": 1, "likes": 0, "replies": 1})
        page = await expect_page(
            rel.release["url"], lambda p: release_reply_text in p["text"] and f"@{fan_handle}" in p["text"]
        )
        assert_page_counts(page, {"boosts": 1, "likes": 0, "replies": 1})
        return f"API {counts}; page {page['counts']}"

    await check("r. Roadie's API counts the release's boost and reply; its page shows the reply", r_counts)

    async def r_delete():
        require(rel.release, "no release")
        status, _, text = await api("DELETE", f"/api/v1/releases/{rel.release['id']}")
        require(status == 204, f"DELETE answered {status}: {text[:200]}")
        got = await wait_for("Delete of the release", lambda: received("Delete", rel.release["url"]))
        capture("received-delete-release", got.json)
        return verified(got)

    await check("r. release DELETE via the API reaches the fan as Delete of that id", r_delete)

    # s. A show (Event) -------------------------------------------------------------------------
    venue = f"Loopback Hall {run_tag}"
    show = SimpleNamespace(view=None, event=None)

    def show_body(status: str) -> dict:
        return {
            "starts_at": "2036-06-06T20:00:00",
            "doors_at": "2036-06-06T19:00:00",
            "timezone": "Europe/Berlin",
            "venue_name": venue,
            "street_address": "Oranienstraße 190",
            "postal_code": "10999",
            "city": "Berlin",
            "country": "DE",
            "ticket_url": "https://tickets.example/loopback",
            "price_note": "€18",
            "support_acts": ["The Openers"],
            "description": f"Run {run_tag}.",
            "status": status,
        }

    async def s_create():
        status, view, text = await api("POST", "/api/v1/shows", show_body("scheduled"))
        require(status == 201 and view, f"POST /api/v1/shows answered {status}: {text[:300]}")
        show.view = view
        got = await wait_for("Create{Event}", lambda: received("Create", view["url"]))
        event = await created_object(got)
        data = event.data
        require(data.get("type") == "Event", f"type {data.get('type')}")
        require(event.attributed_to_id == ACTOR_URL, f"attributedTo {event.attributed_to_id}")
        require(
            parse_time(data.get("startTime", "")) == parse_time("2036-06-06T18:00:00Z"),
            f"startTime {data.get('startTime')}",
        )
        place = data.get("location") or {}
        require(place.get("type") == "Place" and place.get("name") == venue, f"location {place}")
        require(
            abs(float(place.get("latitude", 0)) - 52.52) < 0.2
            and abs(float(place.get("longitude", 0)) - 13.4) < 0.2,
            f"coordinates {place.get('latitude')},{place.get('longitude')}",
        )
        summary = data.get("summary") or ""
        for needle in (venue, "Berlin", "20:00", "https://tickets.example/loopback"):
            require(needle in summary, f"summary lacks {needle}: {summary!r}")
        show.event = got
        capture("received-create-event", got.json)
        return f"{verified(got)}; starts {data.get('startTime')}"

    await check(
        "s. show published via the API reaches the fan as Create{Event}: time, Place, summary", s_create
    )

    async def s_dereference():
        require(show.event, "no show")
        data = await actor.get(show.view["url"])
        require(isinstance(data, dict) and data.get("type") == "Event", f"GET gave {str(data)[:200]}")
        served = {k: v for k, v in data.items() if k != "@context"}
        require(served == show.event.json["object"], "the served Event differs from the delivered one")
        return "served = delivered"

    await check("s. bovine dereferences the show URL and gets the same Event", s_dereference)

    async def s_pin():
        require(show.view and state.band, "no show")
        status, body, text = await api("POST", f"/api/v1/shows/{show.view['id']}/pin")
        require(status == 200, f"pin answered {status}: {text[:200]}")
        got = await wait_for("Add of the show", lambda: received("Add", show.view["url"]))
        # Not from bovine's parse: compacted against about:bovine, Mastodon's `featured`
        # (toot:featured) is no longer a short term there.
        featured = state.band_json.get("featured")
        require(
            got.json.get("target") == featured, f"target {got.json.get('target')} is not featured {featured}"
        )
        collection = await actor.get_ordered_collection(featured)
        require(show.view["url"] in collection["items"], f"featured {collection['items']}")
        return f"{verified(got)}; featured {collection['items']}"

    await check("s. pinning the show reaches the fan as Add to featured, and bovine reads featured", s_pin)

    async def s_cancel():
        require(show.view, "no show")
        status, _, text = await api("PUT", f"/api/v1/shows/{show.view['id']}", show_body("cancelled"))
        require(status == 200, f"PUT answered {status}: {text[:200]}")
        got = await wait_for("Update{Event}", lambda: received("Update", show.view["url"]))
        event = got.json.get("object") or {}
        require(re.search("cancel", event.get("summary", ""), re.I), f"summary {event.get('summary')!r}")
        require(event.get("eventStatus") == "EventCancelled", f"eventStatus {event.get('eventStatus')}")
        require(
            parse_time(event["updated"]) > parse_time(event["published"]), "updated is not after published"
        )
        capture("received-update-event", got.json)
        return verified(got)

    await check("s. cancelling the show reaches the fan as Update{Event} that says so", s_cancel)

    async def s_delete():
        require(show.view, "no show")
        status, _, text = await api("DELETE", f"/api/v1/shows/{show.view['id']}")
        require(status == 204, f"DELETE answered {status}: {text[:200]}")
        got = await wait_for("Delete of the show", lambda: received("Delete", show.view["url"]))
        collection = await actor.get_ordered_collection(state.band_json["featured"])
        require(show.view["url"] not in collection["items"], f"still featured: {collection['items']}")
        return verified(got)

    await check(
        "s. show DELETE via the API reaches the fan as Delete, and the show leaves featured", s_delete
    )

    # h. Undo{Follow} ---------------------------------------------------------------------------
    async def h_unfollow():
        require(state.follow, "no Follow")
        undo = activity_factory.undo(state.follow).build()
        w = await send(undo, inbox)
        store.following.discard(ACTOR_URL)
        capture("sent-undo-follow", json.loads(w["body"]))
        obj = json.loads(w["body"]).get("object")
        return f"POST -> {w['status']}; object {'embedded' if isinstance(obj, dict) else 'by id'}"

    await check("h. fan sends Undo{Follow} as bovine builds it (answered 2xx)", h_unfollow)

    async def h_followers():
        await wait_for("followers totalItems 0", lambda: _eq(followers_total(), 0))
        status, profile, text = await api("GET", "/api/v1/profile")
        require((profile or {}).get("followers") == 0, f"GET /api/v1/profile: {status} {text[:200]}")

    await check("h. Roadie's followers collection totalItems becomes 0", h_followers)

    # Authorized fetch --------------------------------------------------------------------------
    if AUTHORIZED:

        async def af():
            async with plain.get(ACTOR_URL + "/outbox", headers={"Accept": "application/activity+json"}) as r:
                require(r.status == 401, f"an unsigned GET of the outbox answered {r.status}, not 401")
            gets = [
                w
                for w in wire
                if w["method"] == "GET" and w["url"].startswith(ROADIE) and "signature" in w["headers"]
            ]
            require(gets, "bovine made no signed GET")
            bad = [
                f"{w['url']} -> {w.get('status')}"
                for w in gets
                if not 200 <= (w.get("status") or 0) < 300 and "/posts/" not in w["url"]
            ]
            require(not bad, f"signed GETs refused: {bad}")
            return f"unsigned 401; {len(gets)} signed GETs accepted; {describe_signature(gets[0]['headers'])}"

        await check("AF. Roadie refuses an unsigned GET and accepts bovine's signed GETs (no digest)", af)

    # JSON-LD -----------------------------------------------------------------------------------
    async def jsonld_check():
        docs = [
            ("actor", CAPTURE_DIR / "received-actor.json"),
            ("note", CAPTURE_DIR / "received-note.json"),
            ("release note", CAPTURE_DIR / "received-release-note.json"),
        ]
        problems, count = [], 0
        for name, path in docs:
            require(path.exists(), f"{name} not captured")
        documents = [(n, json.loads(p.read_text())) for n, p in docs] + [
            (f"{r.json.get('type')} delivery", r.json)
            for r in store.inbox_requests
            if isinstance(r.json, dict)
        ]
        for name, doc in documents:
            count += 1
            found: set[str] = set()
            undefined_terms(jsonld.expand(doc), found)
            if found:
                problems.append(f"{name}: {sorted(found)}")
        require(not problems, f"terms outside the @context (expand to _:term): {problems}")
        return f"{count} documents expanded with PyLD through bovine's document loader"

    await check(
        "JSON-LD: every term Roadie served or delivered is defined by its @context (PyLD expansion)",
        jsonld_check,
    )

    # Signatures ----------------------------------------------------------------------------------
    async def sig_roadie():
        posts = [w for w in wire if w["method"] == "POST" and w["url"].startswith(ROADIE)]
        require(len(posts) >= 5, f"only {len(posts)} POSTs")
        for w in posts:
            sig = parse_signature_header(w["headers"].get("signature"))
            require(sig.get("algorithm") == "rsa-sha256", f"{w['url']} algorithm {sig.get('algorithm')}")
            covered = sig.get("headers", "").split()
            for c in ("(request-target)", "host", "date", "digest"):
                require(c in covered, f"{w['url']} does not cover {c}")
            require(
                200 <= (w.get("status") or 0) < 300,
                f"{w['url']} answered {w.get('status')}: {w.get('response_text')}",
            )
        return f"{len(posts)} POSTs; {describe_signature(posts[0]['headers'])}; digest {posts[0]['headers'].get('digest', '')[:8]}…"

    await check(
        "signatures: Roadie accepted every POST bovine signed (draft-cavage, rsa-sha256, lower-case sha-256 digest)",
        sig_roadie,
    )

    async def sig_fan():
        reqs = [r for r in store.inbox_requests if id(r) not in refused_copies]
        require(len(reqs) >= 8, f"only {len(reqs)} deliveries arrived")
        for r in reqs:
            require(r.status == 202, f"{(r.json or {}).get('type')} answered {r.status}: {r.response_text}")
            require(
                r.verified_controller == ACTOR_URL,
                f"{(r.json or {}).get('id')}: {r.verify_error or r.verified_controller}",
            )
        await fan.verify_recorded_gets()
        roadie_gets = [g for g in store.other_requests if g["signed"]]
        require(roadie_gets, "Roadie fetched nothing signed from the fan")
        unverified = [g["path"] for g in roadie_gets if not g["verified"]]
        require(not unverified, f"Roadie's signed GETs bovine could not verify: {unverified}")
        return f"{len(reqs)} deliveries, {len(roadie_gets)} signed GETs by {roadie_gets[0]['signed'].get('keyId')}; {describe_signature(reqs[0].headers)}"

    await check("signatures: bovine verified every delivery and every signed GET Roadie made", sig_fan)

    for r in store.inbox_requests:
        print(f"# received {(r.json or {}).get('type')} {(r.json or {}).get('id')} at {r.path} -> {r.status}")
    for g in store.other_requests:
        signer = g["signed"] and g["signed"].get("keyId")
        how = f"signed by {signer}, verified {bool(g['verified'])}" if signer else "unsigned"
        print(f"# fan served {g['method']} {g['path']} ({how})")
    for w in wire:
        if w["method"] == "POST":
            body = json.loads(w["body"] or b"{}")
            print(f"# sent {body.get('type')} to {w['url']} -> {w.get('status', w.get('error'))}")

    await fan.close()
    await plain.close()
    return 0 if all(results) else 1


def undefined_terms(node, found: set[str]) -> None:
    """Collects the terms an expanded JSON-LD document could not map to an IRI.

    ActivityStreams' context sends unknown terms to blank-node IRIs ("@vocab": "_:"), so a
    strict consumer loses them: they come out as "_:term".
    """
    if isinstance(node, list):
        for item in node:
            undefined_terms(item, found)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key.startswith("_:"):
                found.add(key[2:])
            if key == "@type":
                types = value if isinstance(value, list) else [value]
                found.update(t[2:] for t in types if isinstance(t, str) and t.startswith("_:"))
            undefined_terms(value, found)


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def tiny_png() -> bytes:
    """A valid 2x2 RGB PNG, so the harness needs no image fixture."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = bytes([0, 200, 30, 60, 20, 120, 220, 0, 250, 200, 0, 10, 10, 10])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
