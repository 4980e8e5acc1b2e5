// The interop scenario: a Fedify fan server follows a running Roadie artist, receives what
// Roadie federates, interacts with a post (Like, Announce, reply; then Undo{Like}, an edit and
// a deletion of the reply, each checked in Roadie's API counts and HTML pages), receives a
// release (cover and audio preview uploaded, then published, boosted and replied to, edited and
// deleted through the API), a show (Event: published, dereferenced, pinned, cancelled, deleted)
// and unfollows. Every step is
// a named check printed as "ok - name" or "not ok - name: reason" (TAP-like; run.sh counts them).
//
// Environment (all set by ../run.sh):
//   ROADIE_ORIGIN   e.g. http://localhost:18080      ROADIE_TOKEN  API bearer token
//   ROADIE_USER     the artist's username (band)     FAN_PORT      port for the fan server
//   CAPTURE_DIR     where to write the captured activities as pretty JSON
//   FEDIFY_LOG      file for Fedify's own log (debug level)
//   STEP_TIMEOUT_MS how long to wait for each asynchronous arrival (default 20000)

import { randomUUID } from "node:crypto";
import fs from "node:fs";
import zlib from "node:zlib";
import path from "node:path";
import process from "node:process";
import { Temporal } from "@js-temporal/polyfill";
import { configure, defaultTextFormatter } from "@logtape/logtape";
import jsonld from "jsonld";
import {
  Announce,
  Create,
  Delete,
  Document,
  Event,
  Follow,
  Hashtag,
  Image,
  Like,
  Link,
  lookupWebFinger,
  Mention,
  Note,
  Place,
  PUBLIC_COLLECTION,
  OrderedCollection,
  Tombstone,
  traverseCollection,
  Undo,
  Update,
} from "@fedify/fedify";
import { FAN, FAN_NAME, parseSignatureHeader, startFanServer } from "./fan-server.mjs";

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v == null) {
    console.log(`not ok - environment: ${name} is not set`);
    process.exit(2);
  }
  return v;
};
const ROADIE = env("ROADIE_ORIGIN").replace(/\/$/, "");
const TOKEN = env("ROADIE_TOKEN");
const USER = env("ROADIE_USER", "band");
const FAN_PORT = Number(env("FAN_PORT"));
const CAPTURE_DIR = env("CAPTURE_DIR");
const FEDIFY_LOG = env("FEDIFY_LOG", "/dev/null");
const STEP_TIMEOUT_MS = Number(env("STEP_TIMEOUT_MS", "20000"));
const roadieHost = new URL(ROADIE).host;
const handle = `${USER}@${roadieHost}`;
const actorUrl = `${ROADIE}/users/${USER}`;

const fedifyVersion = JSON.parse(
  fs.readFileSync(new URL("./node_modules/@fedify/fedify/package.json", import.meta.url), "utf8"),
).version;
console.log(`# peer: @fedify/fedify ${fedifyVersion} on Node ${process.version}`);

// ---------------------------------------------------------------------------------------------
// Fedify's own log goes to a file; warnings and errors are also kept to explain failures.
const fedifyProblems = [];
let httpSignaturesVerified = 0; // Fedify's inbox logs this after it checked a delivery's signature
const logFile = fs.openSync(FEDIFY_LOG, "a");
await configure({
  sinks: {
    file: (record) => fs.writeSync(logFile, defaultTextFormatter(record)),
    problems: (record) => {
      if (record.category.join(".") === "fedify.federation.inbox" && record.message.join("").includes("HTTP Signatures are verified")) {
        httpSignaturesVerified++;
      }
      const expected = record.message.join("").includes("No supported key found to create a proof");
      if (!expected && (record.level === "warning" || record.level === "error" || record.level === "fatal")) {
        fedifyProblems.push(defaultTextFormatter(record).trim());
      }
    },
  },
  loggers: [
    { category: "fedify", sinks: ["file", "problems"], lowestLevel: "debug" },
    { category: ["logtape", "meta"], sinks: ["file"], lowestLevel: "warning" },
  ],
});

// ---------------------------------------------------------------------------------------------
// A wire tap on fetch(): Fedify calls the global fetch for everything it sends, so this sees
// the exact bytes and headers the fan put on the wire and Roadie's answer. It can also rewrite
// Fedify's https:// WebFinger request to http:// (see check "a").
const wire = [];
let rewriteWebFingerToHttp = false;
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  let request = new Request(input, init);
  const wellKnown = `https://${roadieHost}/.well-known/webfinger`;
  if (rewriteWebFingerToHttp && request.url.startsWith(wellKnown)) {
    const httpUrl = `http://${request.url.slice("https://".length)}`;
    request = new Request(httpUrl, { method: request.method, headers: request.headers, redirect: request.redirect });
    console.log(`# wire: rewrote ${wellKnown}… to http:// for Fedify's WebFinger lookup`);
  }
  // No request may hang a step: each is bounded like the waits below.
  request = new Request(request, { signal: AbortSignal.any([request.signal, AbortSignal.timeout(STEP_TIMEOUT_MS)]) });
  const entry = { method: request.method, url: request.url, headers: Object.fromEntries(request.headers) };
  if (request.method === "POST") entry.body = await request.clone().text();
  wire.push(entry);
  try {
    const response = await realFetch(request);
    entry.status = response.status;
    if (request.method === "POST" && !response.ok) entry.responseText = await response.clone().text();
    return response;
  } catch (e) {
    entry.error = String(e?.cause ?? e);
    throw e;
  }
};

// ---------------------------------------------------------------------------------------------
// Checks.
const results = [];
function ok(name, detail) {
  results.push({ name, ok: true });
  console.log(`ok - ${name}${detail ? ` # ${detail}` : ""}`);
}
function notOk(name, reason) {
  results.push({ name, ok: false });
  console.log(`not ok - ${name}: ${String(reason).replace(/\s+/g, " ").slice(0, 600)}`);
}
class CheckFailed extends Error {}
function assert(condition, message) {
  if (!condition) throw new CheckFailed(message);
}
async function check(name, fn) {
  try {
    const detail = await fn();
    ok(name, typeof detail === "string" ? detail : undefined);
    return true;
  } catch (e) {
    notOk(name, e instanceof CheckFailed ? e.message : e?.stack?.split("\n").slice(0, 3).join(" | ") ?? e);
    return false;
  }
}
/** Polls fn() until it returns a truthy value, for at most STEP_TIMEOUT_MS. */
async function waitFor(what, fn, timeoutMs = STEP_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new CheckFailed(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
}

async function api(method, pathname, body) {
  const response = await realFetch(`${ROADIE}${pathname}`, {
    method,
    headers: {
      Authorization: `Bearer ${TOKEN}`,
      Accept: "application/json",
      ...(body ? { "Content-Type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: response.status, json, text };
}
async function followersTotal() {
  if (AUTHORIZED) {
    try {
      return { status: 200, total: (await authLoader(`${actorUrl}/followers`)).document.totalItems };
    } catch (e) {
      return { status: String(e?.message ?? e).slice(0, 80) };
    }
  }
  const response = await realFetch(`${actorUrl}/followers`, {
    headers: { Accept: "application/activity+json" },
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) return { status: response.status };
  return { status: response.status, total: (await response.json()).totalItems };
}

function capture(name, json) {
  fs.mkdirSync(CAPTURE_DIR, { recursive: true });
  fs.writeFileSync(path.join(CAPTURE_DIR, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
}
/** The last POST the fan put on the wire whose JSON body has this id. */
function sentById(id) {
  return wire.findLast((w) => w.method === "POST" && w.body && safeJson(w.body)?.id === id);
}
function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
/** The raw inbox request that carried the activity with this id. */
function inboxRequestFor(id) {
  return fan.store.inboxRequests.find((r) => r.json?.id === id);
}
function describeSignature(headers) {
  const sig = parseSignatureHeader(headers.signature);
  return `algorithm=${sig.algorithm ?? "?"} headers="${sig.headers ?? "?"}"${headers["signature-input"] ? " +RFC9421" : ""}`;
}

// ---------------------------------------------------------------------------------------------
const ED25519 = process.env.FAN_ED25519 === "1";
const fan = await startFanServer({ port: FAN_PORT, ed25519: ED25519, log: (line) => console.log(line) });
const ctx = fan.context();
const me = { identifier: FAN };
// With ROADIE_AUTHORIZED_FETCH=true Roadie serves documents only to signed GETs: the fan then
// fetches with its own key, as Mastodon does.
const AUTHORIZED = process.env.ROADIE_AUTHORIZED_FETCH === "true";
const authLoader = await ctx.getDocumentLoader(me);
const lookup = (url) => ctx.lookupObject(url, AUTHORIZED ? { documentLoader: authLoader } : {});
/** An ActivityPub document from Roadie as JSON, fresh (no cache); signed under authorized fetch. */
async function rawJson(url) {
  if (AUTHORIZED) return (await authLoader(String(url))).document;
  const response = await realFetch(url, { headers: { Accept: "application/activity+json" }, signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
  return await response.json();
}
console.log(`# authorized fetch: ${AUTHORIZED ? "on (the fan signs its GETs)" : "off"}`);
const fanActor = ctx.getActorUri(FAN);
console.log(`# fan: ${fanActor.href} (keys: RSA${ED25519 ? " + Ed25519" : ""})   roadie: ${actorUrl}`);
const newId = (kind) => new URL(`/activities/${kind}/${randomUUID()}`, fan.origin);

/** Sends an activity through Fedify and returns the wire entry of the delivery. */
async function send(activity, recipient, options = {}) {
  const before = wire.length;
  await ctx.sendActivity(me, recipient, activity, { immediate: true, ...options });
  const posts = wire.slice(before).filter((w) => w.method === "POST");
  assert(posts.length > 0, "Fedify made no POST");
  return posts.at(-1);
}

let band = null; // the Roadie artist as a Fedify Person
let follow = null;
let post = null; // { id, url } from Roadie's API
const postText = `Interop night ${randomUUID().slice(0, 8)}: new single out now`;

// a. Discovery ---------------------------------------------------------------------------------
await check(`a. WebFinger acct:${handle} through Fedify's lookupWebFinger`, async () => {
  let jrd = await lookupWebFinger(`acct:${handle}`, { allowPrivateAddress: true });
  let how = "plain http";
  if (jrd == null) {
    const tried = wire.findLast((w) => w.url.includes("/.well-known/webfinger"));
    console.log(
      `# note: Fedify ${fedifyVersion} always builds https://<host>/.well-known/webfinger for acct: ` +
        `resources (webfinger/lookup.js); first try went to ${tried?.url ?? "?"} and failed ` +
        `(${String(tried?.error ?? tried?.status ?? "no request").replace(/\s+/g, " ").trim()}). Retrying with the harness rewriting that one URL to http://.`,
    );
    rewriteWebFingerToHttp = true;
    jrd = await lookupWebFinger(`acct:${handle}`, { allowPrivateAddress: true });
    how = "https->http rewritten by the harness";
  }
  assert(jrd != null, "lookupWebFinger returned null even over http");
  assert(jrd.subject === `acct:${handle}`, `subject is ${jrd.subject}`);
  const self = jrd.links?.find((l) => l.rel === "self");
  assert(self?.href === actorUrl, `self link is ${JSON.stringify(self)}`);
  assert(self.type === "application/activity+json", `self link type is ${self.type}`);
  capture("received-webfinger", jrd);
  return how;
});

await check(`a. Fedify lookupObject("@${handle}") yields the Person`, async () => {
  // The handle goes through WebFinger (with the rewrite above if needed), then the actor URL.
  const byHandle = await lookup(`@${handle}`);
  const byUrl = await lookup(actorUrl);
  band = byHandle ?? byUrl;
  assert(byUrl != null, "lookupObject(actor URL) returned null");
  assert(byHandle != null, "lookupObject(handle) returned null (actor by URL worked)");
  assert(band.constructor.name === "Person", `type is ${band.constructor.name}`);
  assert(band.id?.href === actorUrl, `id is ${band.id?.href}`);
  assert(band.preferredUsername === USER, `preferredUsername is ${band.preferredUsername}`);
  assert(band.inboxId?.href === `${actorUrl}/inbox`, `inbox is ${band.inboxId?.href}`);
  assert(band.endpoints?.sharedInbox?.href === `${ROADIE}/inbox`, `sharedInbox is ${band.endpoints?.sharedInbox?.href}`);
  const key = await band.getPublicKey();
  assert(key?.publicKey?.algorithm?.name === "RSASSA-PKCS1-v1_5", "publicKey is not a usable RSA key");
  assert(key.ownerId?.href === actorUrl, `publicKey owner is ${key.ownerId?.href}`);
  const raw = await rawJson(actorUrl);
  capture("received-actor", raw);
  return `name "${band.name}", key ${key.id?.href}`;
});

// b. Follow ------------------------------------------------------------------------------------
await check("b. fan sends Follow with Fedify sendActivity (answered 2xx)", async () => {
  assert(band, "no actor (check a failed)");
  follow = new Follow({ id: newId("follow"), actor: fanActor, object: band.id, to: band.id });
  const w = await send(follow, band);
  assert(w.status >= 200 && w.status < 300, `Roadie answered ${w.status}: ${w.responseText}`);
  fan.store.following.add(band.id.href);
  capture("sent-follow", JSON.parse(w.body));
  return `POST ${new URL(w.url).pathname} -> ${w.status}; ${describeSignature(w.headers)}`;
});

// c. Accept ------------------------------------------------------------------------------------
await check("c. Roadie's Accept{Follow} arrives and Fedify verifies and accepts it", async () => {
  assert(follow, "no Follow sent");
  const got = await waitFor("Accept", () =>
    fan.store.received.find((r) => r.kind === "Accept" && r.objectId === follow.id.href),
  );
  assert(got.actorId === actorUrl, `Accept actor is ${got.actorId}`);
  const req = inboxRequestFor(got.id);
  assert(req, "no raw inbox request recorded for the Accept");
  assert(req.status >= 200 && req.status < 300, `fan inbox answered ${req.status}`);
  assert(req.verifiedKeyId === `${actorUrl}#main-key`, `Fedify verifyRequest gave ${req.verifiedKeyId} ${req.verifyError ?? ""}`);
  capture("received-accept", req.json);
  return `to ${req.path} -> ${req.status}; ${describeSignature(req.headers)}`;
});
// If Accept did not arrive, report anything Fedify refused.
for (const r of fan.store.inboxRequests.filter((r) => r.status >= 300)) {
  console.log(`# fan inbox refused ${r.json?.type} ${r.json?.id}: ${r.status} ${r.responseText}`);
}

await check("c. Roadie's followers collection totalItems is 1", async () => {
  const last = await waitFor("totalItems 1", async () => {
    const f = await followersTotal();
    return f.total === 1 ? f : null;
  }).catch(async (e) => {
    throw new CheckFailed(`${e.message}; last answer ${JSON.stringify(await followersTotal())}`);
  });
  const profile = await api("GET", "/api/v1/profile");
  assert(profile.json?.followers === 1, `GET /api/v1/profile followers is ${profile.json?.followers}`);
  return `totalItems ${last.total}, profile followers ${profile.json.followers}`;
});

// d. Create{Note} ------------------------------------------------------------------------------
await check("d. post via Roadie's API reaches the fan as Create{Note}", async () => {
  const r = await api("POST", "/api/v1/posts", { content: postText, visibility: "public" });
  assert(r.status === 201, `POST /api/v1/posts answered ${r.status}: ${r.text}`);
  post = r.json;
  assert(post?.url, `no url in ${r.text}`);
  const got = await waitFor("Create{Note}", () =>
    fan.store.received.find((x) => x.kind === "Create" && x.objectId === post.url),
  );
  assert(got.actorId === actorUrl, `Create actor is ${got.actorId}`);
  const note = await got.activity.getObject();
  assert(note instanceof Note, `object is ${note?.constructor?.name}`);
  assert(note.id?.href === post.url, `note id ${note.id?.href} != API url ${post.url}`);
  assert(String(note.content ?? "").includes(postText), `content ${JSON.stringify(String(note.content))}`);
  assert(note.attributionId?.href === actorUrl, `attributedTo ${note.attributionId?.href}`);
  assert(note.toIds.some((u) => u.href === PUBLIC_COLLECTION.href) || note.ccIds.some((u) => u.href === PUBLIC_COLLECTION.href),
    "public post is not addressed to as:Public");
  const req = inboxRequestFor(got.id);
  assert(req.verifiedKeyId === `${actorUrl}#main-key`, `signature not verified: ${req.verifyError ?? req.verifiedKeyId}`);
  capture("received-create-note", req.json);
  return `to ${req.path} -> ${req.status}`;
});

await check("d. Fedify dereferences the post URL, traverses the outbox and reads NodeInfo", async () => {
  assert(post, "no post");
  const note = await lookup(post.url);
  assert(note instanceof Note, `GET ${post.url} parsed as ${note?.constructor?.name ?? note}`);
  assert(String(note.content ?? "").includes(postText), "dereferenced note lacks the text");
  capture("received-note", await rawJson(post.url));
  const outbox = await lookup(`${actorUrl}/outbox`);
  assert(outbox instanceof OrderedCollection, `outbox parsed as ${outbox?.constructor?.name ?? outbox}`);
  const items = [];
  for await (const item of traverseCollection(outbox, { documentLoader: AUTHORIZED ? authLoader : ctx.documentLoader, contextLoader: ctx.contextLoader })) {
    items.push(item);
    if (items.length > 50) break;
  }
  assert(items.length === outbox.totalItems, `traversed ${items.length} items, totalItems ${outbox.totalItems}`);
  const found = await Promise.all(items.map(async (a) => (a instanceof Create ? a.objectId?.href : null)));
  assert(found.includes(post.url), `outbox does not hold a Create of ${post.url}`);
  const info = await ctx.lookupNodeInfo(ROADIE, { parse: "strict" });
  assert(info?.protocols?.includes("activitypub"), `NodeInfo: ${JSON.stringify(info)?.slice(0, 200)}`);
  return `outbox ${items.length} item(s); NodeInfo software ${info.software.name} ${info.software.version.major}.${info.software.version.minor}.${info.software.version.patch}`;
});

// Helpers for what Roadie made of the fan's interactions: the counts in its API and its pages.
const fanHandle = `${FAN}@${fanActor.host}`; // as Roadie should show it, after an "@"
/** Roadie processes inbox activities before it answers, so these polls should succeed at once. */
const EFFECT_TIMEOUT_MS = Math.min(STEP_TIMEOUT_MS, 5000);
const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const noteKey = (note) => note.id.pathname.split("/").pop();
const replyHtml = (text) =>
  `<p><span class="h-card"><a href="${band?.url?.href ?? actorUrl}" class="u-url mention">@<span>${USER}</span></a></span> ${text}</p>`;
/** A reply by the fan (a Note the fan server serves) and the Create that carries it. */
function replyTo(target, text) {
  const noteId = randomUUID();
  const note = new Note({
    id: ctx.getObjectUri(Note, { id: noteId }),
    attribution: fanActor,
    content: replyHtml(text),
    replyTarget: new URL(target),
    tags: [new Mention({ href: band.id, name: `@${handle}` })],
    tos: [PUBLIC_COLLECTION],
    ccs: [band.id, ctx.getFollowersUri(FAN)],
    published: Temporal.Now.instant(),
  });
  fan.store.notes.set(noteId, note);
  const create = new Create({
    id: newId("create"),
    actor: fanActor,
    object: note,
    tos: [PUBLIC_COLLECTION],
    ccs: [band.id, ctx.getFollowersUri(FAN)],
    published: Temporal.Now.instant(),
  });
  return { note, create };
}
/**
 * Polls GET /api/v1/{kind}/{id} until its `counts` has every value in `want`. Returns a
 * description; throws with the last answer on timeout.
 */
async function expectCounts(kind, id, want) {
  let last = null;
  let polls = 0;
  const started = Date.now();
  const matches = () => last?.json?.counts && Object.entries(want).every(([k, v]) => last.json.counts[k] === v);
  try {
    await waitFor(`counts ${JSON.stringify(want)}`, async () => {
      polls++;
      last = await api("GET", `/api/v1/${kind}/${encodeURIComponent(id)}`);
      return matches();
    }, EFFECT_TIMEOUT_MS);
  } catch (e) {
    throw new CheckFailed(`${e.message}; GET /api/v1/${kind}/${id} last answered ${last?.status}: ${last?.text?.slice(0, 300)}`);
  }
  return `counts ${JSON.stringify(last.json.counts)} after ${polls} GET(s), ${Date.now() - started} ms`;
}
function decodeEntities(s) {
  const named = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", middot: "·" };
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e) =>
    e[0] === "#" ? String.fromCodePoint(e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : Number(e.slice(1)))
      : named[e.toLowerCase()] ?? m);
}
/** The visible text of an HTML fragment, whitespace collapsed. */
const textOf = (html) =>
  decodeEntities(html.replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, " ").replace(/<[^>]*>/g, " ")).replace(/\s+/g, " ").trim();
/** The counts a page shows ("1 boosts", "0 likes", "1 replies"), as far as it shows them. */
function pageCounts(text) {
  const n = (re) => {
    const m = text.match(re);
    return m ? Number(m[1]) : undefined;
  };
  return { boosts: n(/(\d+) boosts?\b/i), likes: n(/(\d+) likes?\b/i), replies: n(/(\d+) repl(?:y|ies)\b/i) };
}
async function fetchPage(url) {
  const response = await realFetch(url, { headers: { Accept: "text/html" }, signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
  const html = await response.text();
  return { status: response.status, contentType: response.headers.get("content-type"), html, text: textOf(html) };
}
/** Polls an HTML page until `ready(page)`; throws with what the page showed on timeout. */
async function expectPage(url, ready) {
  let page = null;
  let polls = 0;
  try {
    await waitFor(`the page ${url}`, async () => {
      polls++;
      page = await fetchPage(url);
      return page.status === 200 && ready(page);
    }, EFFECT_TIMEOUT_MS);
  } catch (e) {
    throw new CheckFailed(`${e.message}; GET ${url} (Accept: text/html) answered ${page?.status} ${page?.contentType}; text: ${JSON.stringify(page?.text.slice(-400))}`);
  }
  assert(page.contentType?.startsWith("text/html"), `GET ${url} Content-Type is ${page.contentType}`);
  page.polls = polls;
  page.counts = pageCounts(page.text);
  return page;
}
function assertPageCounts(page, want) {
  for (const [k, v] of Object.entries(want)) {
    assert(page.counts[k] === v, `the page shows ${k} ${page.counts[k] ?? "(none)"}, not ${v}: ${JSON.stringify(page.counts)}`);
  }
}
/** The text of the artist page's "Top passers" section ("" when there is none). */
function passersText(html) {
  const at = html.indexOf("Top passers");
  if (at < 0) return "";
  const end = html.indexOf("</section>", at);
  // The first hit may be inside a tag (aria-label="Top passers"): drop the rest of that tag.
  return textOf(html.slice(at, end < 0 ? undefined : end).replace(/^[^<>]*>/, ""));
}

// e. Interactions ------------------------------------------------------------------------------
let reply = null; // the fan's Create{Note} replying to the post
let replyNote = null; // its Note, as the fan last published it
let like = null;
let boost = null;
const runWord = randomUUID().slice(0, 8);
const replyText = `Great song ${runWord}, played it twice`;
const editedReplyText = `Even better live ${runWord}, edited`;
await check("e. fan sends Like of the post (answered 2xx)", async () => {
  assert(post && band, "no post");
  like = new Like({ id: newId("like"), actor: fanActor, object: new URL(post.url), to: band.id });
  const w = await send(like, band);
  assert(w.status >= 200 && w.status < 300, `Roadie answered ${w.status}: ${w.responseText}`);
  capture("sent-like", JSON.parse(w.body));
  return `POST ${new URL(w.url).pathname} -> ${w.status}`;
});
await check("e. fan sends Announce of the post via the shared inbox (answered 2xx)", async () => {
  assert(post && band, "no post");
  const announce = new Announce({
    id: newId("announce"),
    actor: fanActor,
    object: new URL(post.url),
    tos: [PUBLIC_COLLECTION],
    ccs: [band.id, ctx.getFollowersUri(FAN)],
    published: Temporal.Now.instant(),
  });
  const w = await send(announce, band, { preferSharedInbox: true });
  assert(new URL(w.url).pathname === "/inbox", `went to ${w.url}, not the shared inbox`);
  assert(w.status >= 200 && w.status < 300, `Roadie answered ${w.status}: ${w.responseText}`);
  boost = announce;
  capture("sent-announce", JSON.parse(w.body));
  return `POST ${new URL(w.url).pathname} -> ${w.status}`;
});
await check("e. fan sends a reply, Create{Note inReplyTo the post} (answered 2xx)", async () => {
  assert(post && band, "no post");
  const made = replyTo(post.url, replyText);
  const w = await send(made.create, band);
  assert(w.status >= 200 && w.status < 300, `Roadie answered ${w.status}: ${w.responseText}`);
  reply = made.create;
  replyNote = made.note;
  capture("sent-reply-create", JSON.parse(w.body));
  return `POST ${new URL(w.url).pathname} -> ${w.status}`;
});

// e. What Roadie made of them: API counts, the post's page, the artist's Top passers ----------
await check("e. Roadie's API counts the post's boost, like and reply: boosts 1, likes 1, replies 1", async () => {
  assert(post, "no post");
  assert(like && boost && reply, `not all interactions were sent (like ${!!like}, announce ${!!boost}, reply ${!!reply})`);
  return await expectCounts("posts", post.id, { boosts: 1, likes: 1, replies: 1 });
});
await check("e. the post's HTML page shows the reply's text and the fan's handle", async () => {
  assert(post && reply, "no reply sent");
  const page = await expectPage(post.url, (p) => p.text.includes(replyText) && p.text.includes(`@${fanHandle}`));
  assert(page.text.includes(FAN_NAME), `the reply's author name "${FAN_NAME}" is not on the page`);
  assertPageCounts(page, { boosts: 1, likes: 1, replies: 1 });
  return `${page.polls} GET(s); "${replyText}" by ${FAN_NAME} @${fanHandle}; page counts ${JSON.stringify(page.counts)}`;
});
await check("e. the artist page (/@band, HTML) lists the fan under \"Top passers\"", async () => {
  assert(boost, "no Announce sent");
  const page = await expectPage(`${ROADIE}/@${USER}`, (p) => passersText(p.html).includes(`@${fanHandle}`));
  const passers = passersText(page.html);
  const points = passers.match(new RegExp(`@${escapeRegExp(fanHandle)}\\s*\\W?\\s*(\\d+)`))?.[1];
  assert(points == null || Number(points) === 1, `the fan has ${points} points after boosting one object: ${JSON.stringify(passers)}`);
  return `${page.polls} GET(s); @${fanHandle} listed, ${points ?? "unknown"} point(s)`;
});

await check("e. fan sends Undo{Like} of the post (answered 2xx)", async () => {
  assert(like && band, "no Like sent");
  const undo = new Undo({ id: newId("undo"), actor: fanActor, object: like, to: band.id });
  const w = await send(undo, band);
  assert(w.status >= 200 && w.status < 300, `Roadie answered ${w.status}: ${w.responseText}`);
  like = null;
  capture("sent-undo-like", JSON.parse(w.body));
  return `POST ${new URL(w.url).pathname} -> ${w.status}`;
});
await check("e. after Undo{Like}: likes 0, boosts still 1", async () => {
  assert(post && boost && !like, "the Like was not undone");
  return await expectCounts("posts", post.id, { boosts: 1, likes: 0, replies: 1 });
});

await check("e. fan sends Update{Note} of its reply with new text (answered 2xx)", async () => {
  assert(reply && replyNote && band, "no reply sent");
  const edited = replyNote.clone({ content: replyHtml(editedReplyText), updated: Temporal.Now.instant() });
  const update = new Update({
    id: newId("update"),
    actor: fanActor,
    object: edited,
    tos: [PUBLIC_COLLECTION],
    ccs: [band.id, ctx.getFollowersUri(FAN)],
  });
  const w = await send(update, band);
  assert(w.status >= 200 && w.status < 300, `Roadie answered ${w.status}: ${w.responseText}`);
  replyNote = edited;
  fan.store.notes.set(noteKey(edited), edited);
  capture("sent-update-reply", JSON.parse(w.body));
  return `POST ${new URL(w.url).pathname} -> ${w.status}`;
});
await check("e. after Update: the post page shows the new reply text, not the old", async () => {
  assert(post && replyNote && String(replyNote.content).includes(editedReplyText), "no Update sent");
  const page = await expectPage(post.url, (p) => p.text.includes(editedReplyText));
  assert(!page.text.includes(replyText), `the old text "${replyText}" is still on the page`);
  assertPageCounts(page, { replies: 1 });
  const apiCounts = await expectCounts("posts", post.id, { boosts: 1, likes: 0, replies: 1 });
  return `${page.polls} GET(s); API ${apiCounts}`;
});

await check("e. fan sends Delete{Tombstone} of its reply (answered 2xx)", async () => {
  assert(replyNote && band, "no reply sent");
  const del = new Delete({
    id: newId("delete"),
    actor: fanActor,
    object: new Tombstone({ id: replyNote.id }),
    tos: [PUBLIC_COLLECTION],
    ccs: [band.id, ctx.getFollowersUri(FAN)],
  });
  const w = await send(del, band);
  assert(w.status >= 200 && w.status < 300, `Roadie answered ${w.status}: ${w.responseText}`);
  fan.store.notes.delete(noteKey(replyNote));
  replyNote = null;
  capture("sent-delete-reply", JSON.parse(w.body));
  return `POST ${new URL(w.url).pathname} -> ${w.status}`;
});
await check("e. after Delete: replies 0, and the reply is gone from the post page", async () => {
  assert(post && reply && !replyNote, "the reply was not deleted");
  const apiCounts = await expectCounts("posts", post.id, { boosts: 1, likes: 0, replies: 0 });
  const page = await expectPage(post.url, (p) => !p.text.includes(editedReplyText));
  assert(!page.text.includes(replyText), `the first text "${replyText}" is back on the page`);
  assert(!page.text.includes(`@${fanHandle}`), `the fan's handle is still on the page`);
  assertPageCounts(page, { boosts: 1, likes: 0, replies: 0 });
  return `API ${apiCounts}; ${page.polls} GET(s) of the page`;
});

// f. Update{Person} ----------------------------------------------------------------------------
await check("f. profile PATCH reaches the fan as Update{Person} with the new name", async () => {
  assert(band, "no actor");
  const r = await api("PATCH", "/api/v1/profile", { display_name: "The Band Live" });
  assert(r.status >= 200 && r.status < 300, `PATCH /api/v1/profile answered ${r.status}: ${r.text}`);
  const got = await waitFor("Update{Person}", () =>
    fan.store.received.find((x) => x.kind === "Update" && x.objectId === actorUrl),
  );
  assert(got.actorId === actorUrl, `Update actor is ${got.actorId}`);
  const person = await got.activity.getObject();
  assert(person?.constructor?.name === "Person", `object is ${person?.constructor?.name}`);
  assert(person.name?.toString() === "The Band Live", `name is ${person.name}`);
  const req = inboxRequestFor(got.id);
  assert(req.verifiedKeyId === `${actorUrl}#main-key`, `signature not verified: ${req.verifyError ?? req.verifiedKeyId}`);
  capture("received-update-person", req.json);
  return `to ${req.path} -> ${req.status}`;
});

// g. Delete ------------------------------------------------------------------------------------
await check("g. post DELETE via the API reaches the fan as Delete of that id", async () => {
  assert(post, "no post");
  const r = await api("DELETE", `/api/v1/posts/${encodeURIComponent(post.id)}`);
  assert(r.status === 204, `DELETE /api/v1/posts/${post.id} answered ${r.status}: ${r.text}`);
  const got = await waitFor("Delete", () =>
    fan.store.received.find((x) => x.kind === "Delete" && x.objectId === post.url),
  );
  assert(got.actorId === actorUrl, `Delete actor is ${got.actorId}`);
  const req = inboxRequestFor(got.id);
  assert(req.verifiedKeyId === `${actorUrl}#main-key`, `signature not verified: ${req.verifyError ?? req.verifiedKeyId}`);
  capture("received-delete", req.json);
  return `object type ${req.json?.object?.type ?? "(bare id)"}; to ${req.path} -> ${req.status}`;
});

// r. A release: media uploads, Create{Note} with audio, dereference, Update, Delete -------------
/** A valid 2x2 RGB PNG, built here so the harness needs no image fixture. */
function tinyPng() {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0); // width
  ihdr.writeUInt32BE(2, 4); // height
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter method, no interlace
  // Two scanlines, each: filter type 0, then two RGB pixels.
  const pixels = Buffer.from([0, 200, 30, 60, 20, 120, 220, 0, 250, 200, 0, 10, 10, 10]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(pixels)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
const mp3Bytes = fs.readFileSync(new URL("../../fixtures/media/tone.mp3", import.meta.url));
const pngBytes = tinyPng();

async function uploadMedia(bytes, fileName, contentType, description) {
  const form = new FormData();
  form.append("file", new Blob([bytes], { type: contentType }), fileName);
  if (description) form.append("description", description);
  const response = await realFetch(`${ROADIE}/api/v1/media`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TOKEN}`, Accept: "application/json" },
    body: form,
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  const text = await response.text();
  return { status: response.status, json: safeJson(text), text };
}
/** GET through the wire-tapped fetch (the one Fedify uses); returns status, type and bytes. */
async function fetchBytes(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}
const hrefOf = (u) => (u instanceof URL ? u.href : u instanceof Link ? u.href?.href : null);
/** Key-order-independent JSON, to compare two documents. */
const canonical = (v) =>
  Array.isArray(v) ? `[${v.map(canonical).join(",")}]`
    : v && typeof v === "object" ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(",")}}`
    : JSON.stringify(v);

const runTag = randomUUID().slice(0, 6);
const hashtag = `interop${runTag}`;
const releaseTitle = `Loopback Sessions ${runTag}`;
const editedTitle = `Loopback Sessions ${runTag} (Deluxe)`;
const trackTitles = [`Handshake ${runTag}`, `Signature Blues ${runTag}`];
let cover = null; // MediaView of the cover image
let preview = null; // MediaView of the audio preview
let release = null; // ReleaseView from the API
let releaseCreate = null; // the fan's record of the Create
let releaseNote = null; // the Note as Fedify parsed it from the Create
const releaseBody = (title) => ({
  title,
  kind: "ep",
  release_date: "2025-06-01",
  description: `Recorded **live** over loopback. Run ${runTag}.`,
  cover_media_id: cover?.id,
  tracks: [
    { title: trackTitles[0], preview_media_id: preview?.id },
    { title: trackTitles[1] },
  ],
  links: [
    { kind: "buy", label: "Bandcamp", url: "https://band.example/buy", payment: true },
    { kind: "stream", label: "Radio", url: "https://band.example/listen", payment: false },
  ],
  hashtags: [hashtag],
});

await check("r. cover image uploads through POST /api/v1/media (multipart)", async () => {
  const r = await uploadMedia(pngBytes, "cover.png", "image/png", "A tiny test cover");
  assert(r.status === 201, `POST /api/v1/media answered ${r.status}: ${r.text}`);
  cover = r.json;
  assert(cover?.id && cover.url, `no id or url in ${r.text}`);
  assert(cover.kind === "image", `kind is ${cover.kind}`);
  assert(cover.content_type === "image/png", `content_type is ${cover.content_type}`);
  assert(cover.width === 2 && cover.height === 2, `size ${cover.width}x${cover.height}`);
  return `id ${cover.id}, blurhash ${cover.blurhash ?? "none"}`;
});
await check("r. audio preview uploads through POST /api/v1/media (tone.mp3)", async () => {
  const r = await uploadMedia(mp3Bytes, "tone.mp3", "application/octet-stream");
  assert(r.status === 201, `POST /api/v1/media answered ${r.status}: ${r.text}`);
  preview = r.json;
  assert(preview?.id && preview.url, `no id or url in ${r.text}`);
  assert(preview.kind === "audio", `kind is ${preview.kind}`);
  assert(preview.content_type === "audio/mpeg", `content_type is ${preview.content_type} (sent as octet-stream; Roadie detects it)`);
  return `id ${preview.id}, ${preview.duration_ms} ms`;
});

await check("r. release published via the API reaches the fan as Create{Note}", async () => {
  assert(cover && preview, "no media (uploads failed)");
  const r = await api("POST", "/api/v1/releases", releaseBody(releaseTitle));
  assert(r.status === 201, `POST /api/v1/releases answered ${r.status}: ${r.text}`);
  release = r.json;
  assert(release?.url && release.id != null, `no id or url in ${r.text}`);
  assert(release.state === "published", `state is ${release.state}`);
  releaseCreate = await waitFor("Create{Note} of the release", () =>
    fan.store.received.find((x) => x.kind === "Create" && x.objectId === release.url),
  );
  assert(releaseCreate.actorId === actorUrl, `Create actor is ${releaseCreate.actorId}`);
  releaseNote = await releaseCreate.activity.getObject();
  assert(releaseNote instanceof Note, `object is ${releaseNote?.constructor?.name}`);
  assert(releaseNote.id?.href === release.url, `note id ${releaseNote.id?.href} != API url ${release.url}`);
  assert(hrefOf(releaseNote.url) === release.url, `note url ${hrefOf(releaseNote.url)} is not the release page ${release.url}`);
  assert(releaseNote.attributionId?.href === actorUrl, `attributedTo ${releaseNote.attributionId?.href}`);
  assert(releaseNote.toIds.some((u) => u.href === PUBLIC_COLLECTION.href), "not addressed to as:Public");
  const req = inboxRequestFor(releaseCreate.id);
  assert(req, "no raw inbox request recorded for the Create");
  assert(req.verifiedKeyId === `${actorUrl}#main-key`, `signature not verified: ${req.verifyError ?? req.verifiedKeyId}`);
  capture("received-create-release", req.json);
  return `release ${release.id}; to ${req.path} -> ${req.status}`;
});

await check("r. Fedify reads the audio attachment: Document audio/mpeg whose URL serves audio/mpeg", async () => {
  assert(releaseNote, "no release Note");
  const attachments = [];
  for await (const a of releaseNote.getAttachments()) attachments.push(a);
  const audio = attachments.filter((a) => a instanceof Document && String(a.mediaType ?? "").startsWith("audio/"));
  assert(audio.length === 1, `${audio.length} audio Documents among ${attachments.map((a) => `${a.constructor.name}(${a.mediaType})`).join(", ")}`);
  const doc = audio[0];
  assert(doc.constructor === Document, `audio attachment is a ${doc.constructor.name}, not a Document`);
  assert(doc.mediaType === "audio/mpeg", `mediaType is ${doc.mediaType}`);
  const url = hrefOf(doc.url);
  assert(url === preview.url, `attachment url ${url} is not the uploaded preview ${preview.url}`);
  assert(String(doc.name ?? "").includes(trackTitles[0]), `name ${doc.name} lacks the track title`);
  const got = await fetchBytes(url);
  assert(got.status === 200, `GET ${url} answered ${got.status}`);
  assert(got.contentType?.split(";")[0].trim() === "audio/mpeg", `GET ${url} Content-Type is ${got.contentType}`);
  assert(got.bytes.equals(mp3Bytes), `GET ${url} served ${got.bytes.length} bytes, not the ${mp3Bytes.length} uploaded`);
  return `${url} (${got.bytes.length} bytes, duration ${doc.duration ?? "none"})`;
});

await check("r. the audio attachment's icon is the cover image, which Fedify can fetch", async () => {
  assert(releaseNote, "no release Note");
  const attachments = [];
  for await (const a of releaseNote.getAttachments()) attachments.push(a);
  const doc = attachments.find((a) => a instanceof Document && String(a.mediaType ?? "").startsWith("audio/"));
  assert(doc, "no audio attachment");
  const icon = await doc.getIcon();
  assert(icon instanceof Image, `icon is ${icon?.constructor?.name ?? icon}`);
  assert(hrefOf(icon.url) === cover.url, `icon url ${hrefOf(icon.url)} is not the cover ${cover.url}`);
  assert(icon.mediaType === "image/png", `icon mediaType is ${icon.mediaType}`);
  const got = await fetchBytes(cover.url);
  assert(got.status === 200 && got.contentType?.startsWith("image/png"), `GET ${cover.url}: ${got.status} ${got.contentType}`);
  // The cover also follows as its own Document, and the payment link as a Link.
  const coverDoc = attachments.find((a) => a instanceof Document && hrefOf(a.url) === cover.url);
  assert(coverDoc, "no cover Document among the attachments");
  assert(coverDoc.width === 2 && coverDoc.height === 2, `cover Document is ${coverDoc.width}x${coverDoc.height}`);
  const raw = releaseCreate && inboxRequestFor(releaseCreate.id)?.json?.object?.attachment;
  const rawCover = [raw].flat().find((a) => a?.url === cover.url);
  assert(!cover.blurhash || rawCover?.blurhash === cover.blurhash, `cover blurhash on the wire ${rawCover?.blurhash} != ${cover.blurhash}`);
  const pay = attachments.find((a) => a instanceof Link && a.rels.includes("payment"));
  assert(pay && pay.href?.href === "https://band.example/buy", `payment Link: ${pay?.href?.href ?? "none"} among ${attachments.map((a) => a.constructor.name).join(", ")}`);
  return `icon ${cover.url}; attachments ${attachments.map((a) => a.constructor.name).join(", ")}`;
});

await check("r. the release Note has the Hashtag tag, and content with the title and the tracklist", async () => {
  assert(releaseNote, "no release Note");
  const tags = [];
  for await (const t of releaseNote.getTags()) tags.push(t);
  const tag = tags.find((t) => t instanceof Hashtag);
  assert(tag, `no Hashtag among the tags: ${tags.map((t) => t?.constructor?.name).join(", ") || "none"}`);
  assert(tag.name?.toString().toLowerCase() === `#${hashtag}`.toLowerCase(), `Hashtag name is ${tag.name}`);
  assert(tag.href?.href?.startsWith(ROADIE), `Hashtag href is ${tag.href?.href}`);
  const content = String(releaseNote.content ?? "");
  assert(content.includes(releaseTitle), `content lacks the title: ${JSON.stringify(content.slice(0, 200))}`);
  const list = content.match(/<ol>([\s\S]*?)<\/ol>/)?.[1];
  assert(list, `content has no <ol> tracklist: ${JSON.stringify(content.slice(0, 300))}`);
  const items = [...list.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) => m[1]);
  assert(items.length === 2 && items[0].includes(trackTitles[0]) && items[1].includes(trackTitles[1]),
    `tracklist is ${JSON.stringify(items)}`);
  return `tag ${tag.name} -> ${tag.href.href}; tracklist ${JSON.stringify(items)}`;
});

await check("r. Fedify dereferences the release URL and gets the same Note", async () => {
  assert(release && releaseNote, "no release Note");
  const fetched = await lookup(release.url);
  assert(fetched instanceof Note, `GET ${release.url} parsed as ${fetched?.constructor?.name ?? fetched}`);
  const raw = await rawJson(release.url);
  capture("received-release-note", raw);
  // What Fedify understood of each (expanded from its parsed properties, not its cached input).
  const opts = { contextLoader: ctx.contextLoader, format: "expand" };
  const a = canonical(await releaseNote.toJsonLd(opts));
  const b = canonical(await fetched.toJsonLd(opts));
  if (a !== b) {
    const at = [...a].findIndex((c, i) => c !== b[i]);
    throw new CheckFailed(`delivered and fetched Notes differ from character ${at}: …${a.slice(Math.max(0, at - 80), at + 120)}… vs …${b.slice(Math.max(0, at - 80), at + 120)}…`);
  }
  // And on the wire: the served document is the delivered object plus @context.
  const { "@context": _, ...rawNote } = raw;
  const delivered = inboxRequestFor(releaseCreate.id)?.json?.object;
  assert(canonical(rawNote) === canonical(delivered), `the served JSON differs from the delivered object: ${canonical(rawNote).slice(0, 200)} vs ${canonical(delivered).slice(0, 200)}`);
  return `id ${fetched.id.href}; ${a.length} characters of expanded JSON-LD alike`;
});

await check("r. release PUT (new title) reaches the fan as Update{Note} with a later `updated`", async () => {
  assert(release && releaseNote, "no release");
  const r = await api("PUT", `/api/v1/releases/${encodeURIComponent(release.id)}`, releaseBody(editedTitle));
  assert(r.status >= 200 && r.status < 300, `PUT /api/v1/releases/${release.id} answered ${r.status}: ${r.text}`);
  assert(r.json?.title === editedTitle, `API title is ${r.json?.title}`);
  const got = await waitFor("Update{Note} of the release", () =>
    fan.store.received.find((x) => x.kind === "Update" && x.objectId === release.url),
  );
  assert(got.actorId === actorUrl, `Update actor is ${got.actorId}`);
  const note = await got.activity.getObject();
  assert(note instanceof Note, `object is ${note?.constructor?.name}`);
  const content = String(note.content ?? "");
  assert(content.includes(editedTitle), `content lacks the new title: ${JSON.stringify(content.slice(0, 200))}`);
  assert(note.published, "Note has no published");
  assert(note.updated, `Note has no updated (published ${note.published})`);
  assert(Temporal.Instant.compare(note.updated, note.published) > 0, `updated ${note.updated} is not later than published ${note.published}`);
  assert(Temporal.Instant.compare(note.published, releaseNote.published) === 0, `published moved from ${releaseNote.published} to ${note.published}`);
  const req = inboxRequestFor(got.id);
  assert(req.verifiedKeyId === `${actorUrl}#main-key`, `signature not verified: ${req.verifyError ?? req.verifiedKeyId}`);
  capture("received-update-release", req.json);
  return `published ${note.published}, updated ${note.updated}`;
});

let releaseBoost = null;
let releaseReply = null;
const releaseReplyText = `Spinning the EP ${runWord} on repeat`;
await check("r. fan boosts the release (Announce via the shared inbox) and replies to it (answered 2xx)", async () => {
  assert(release && band, "no release");
  const announce = new Announce({
    id: newId("announce"),
    actor: fanActor,
    object: new URL(release.url),
    tos: [PUBLIC_COLLECTION],
    ccs: [band.id, ctx.getFollowersUri(FAN)],
    published: Temporal.Now.instant(),
  });
  const a = await send(announce, band, { preferSharedInbox: true });
  assert(a.status >= 200 && a.status < 300, `Announce: Roadie answered ${a.status}: ${a.responseText}`);
  releaseBoost = announce;
  capture("sent-announce-release", JSON.parse(a.body));
  const made = replyTo(release.url, releaseReplyText);
  const c = await send(made.create, band);
  assert(c.status >= 200 && c.status < 300, `Create{Note}: Roadie answered ${c.status}: ${c.responseText}`);
  releaseReply = made.create;
  capture("sent-reply-release-create", JSON.parse(c.body));
  return `Announce to ${new URL(a.url).pathname} -> ${a.status}; reply to ${new URL(c.url).pathname} -> ${c.status}`;
});
await check("r. Roadie's API counts the release's boost and reply (boosts 1, likes 0, replies 1); its page shows the reply", async () => {
  assert(release && releaseBoost && releaseReply, "boost or reply of the release not sent");
  const apiCounts = await expectCounts("releases", release.id, { boosts: 1, likes: 0, replies: 1 });
  const page = await expectPage(release.url, (p) => p.text.includes(releaseReplyText) && p.text.includes(`@${fanHandle}`));
  assertPageCounts(page, { boosts: 1, likes: 0, replies: 1 });
  return `API ${apiCounts}; page ${JSON.stringify(page.counts)}`;
});

await check("r. release DELETE via the API reaches the fan as Delete of that id", async () => {
  assert(release, "no release");
  const r = await api("DELETE", `/api/v1/releases/${encodeURIComponent(release.id)}`);
  assert(r.status === 204, `DELETE /api/v1/releases/${release.id} answered ${r.status}: ${r.text}`);
  const got = await waitFor("Delete of the release", () =>
    fan.store.received.find((x) => x.kind === "Delete" && x.objectId === release.url),
  );
  assert(got.actorId === actorUrl, `Delete actor is ${got.actorId}`);
  const req = inboxRequestFor(got.id);
  assert(req.verifiedKeyId === `${actorUrl}#main-key`, `signature not verified: ${req.verifyError ?? req.verifiedKeyId}`);
  capture("received-delete-release", req.json);
  return `object type ${req.json?.object?.type ?? "(bare id)"}; to ${req.path} -> ${req.status}`;
});

// s. A show (Event): published, dereferenced, pinned, cancelled, deleted ------------------------
let show = null; // ShowView from the API
let showEvent = null; // the Event as Fedify parsed it from the Create
const showVenue = `Loopback Hall ${runTag}`;
const showBody = (status) => ({
  starts_at: "2036-06-06T20:00:00",
  doors_at: "2036-06-06T19:00:00",
  timezone: "Europe/Berlin",
  venue_name: showVenue,
  street_address: "Oranienstraße 190",
  postal_code: "10999",
  city: "Berlin",
  country: "DE",
  ticket_url: "https://tickets.example/loopback",
  price_note: "€18",
  support_acts: ["The Openers"],
  description: `Run ${runTag}.`,
  status,
});

await check("s. show published via the API reaches the fan as Create{Event} with time, place and tickets", async () => {
  const r = await api("POST", "/api/v1/shows", showBody("scheduled"));
  assert(r.status === 201, `POST /api/v1/shows answered ${r.status}: ${r.text}`);
  show = r.json;
  const got = await waitFor("Create{Event} of the show", () =>
    fan.store.received.find((x) => x.kind === "Create" && x.objectId === show.url),
  );
  showEvent = await got.activity.getObject();
  assert(showEvent instanceof Event, `object is ${showEvent?.constructor?.name}`);
  assert(showEvent.id?.href === show.url, `event id ${showEvent.id?.href} != ${show.url}`);
  assert(showEvent.attributionId?.href === actorUrl, `attributedTo ${showEvent.attributionId?.href}`);
  // 20:00 in Berlin in June (CEST, UTC+2) is 18:00 UTC.
  assert(showEvent.startTime?.toString() === "2036-06-06T18:00:00Z", `startTime ${showEvent.startTime}`);
  const place = await showEvent.getLocation();
  assert(place instanceof Place, `location is ${place?.constructor?.name ?? place}`);
  assert(String(place.name) === showVenue, `place name ${place.name}`);
  assert(Math.abs((place.latitude ?? 0) - 52.52) < 0.2 && Math.abs((place.longitude ?? 0) - 13.4) < 0.2,
    `coordinates ${place.latitude},${place.longitude} (from the gazetteer) are not Berlin's`);
  // Mastodon shows only name + summary: the summary alone must say when, where and tickets.
  const summary = String(showEvent.summary ?? "");
  for (const needle of [showVenue, "Berlin", "20:00", "https://tickets.example/loopback"]) {
    assert(summary.includes(needle), `summary lacks ${needle}: ${JSON.stringify(summary)}`);
  }
  const req = inboxRequestFor(got.id);
  assert(req.verifiedKeyId === `${actorUrl}#main-key`, `signature not verified: ${req.verifyError ?? req.verifiedKeyId}`);
  capture("received-create-event", req.json);
  return `${showEvent.name}; starts ${showEvent.startTime}; ${place.latitude},${place.longitude}`;
});

await check("s. Fedify dereferences the show URL and gets the same Event", async () => {
  assert(show && showEvent, "no show");
  const fetched = await lookup(show.url);
  assert(fetched instanceof Event, `GET ${show.url} parsed as ${fetched?.constructor?.name ?? fetched}`);
  const opts = { contextLoader: ctx.contextLoader, format: "expand" };
  const a = canonical(await showEvent.toJsonLd(opts));
  const b = canonical(await fetched.toJsonLd(opts));
  assert(a === b, "delivered and fetched Events differ");
  return `${a.length} characters of expanded JSON-LD alike`;
});

await check("s. pinning the show reaches the fan as Add to featured, and Fedify reads featured", async () => {
  assert(show && band, "no show");
  const r = await api("POST", `/api/v1/shows/${show.id}/pin`);
  assert(r.status === 200 && r.json?.pinned === true, `pin answered ${r.status}: ${r.text}`);
  const got = await waitFor("Add of the show", () =>
    fan.store.received.find((x) => x.kind === "Add" && x.objectId === show.url),
  );
  const target = got.activity.targetId?.href;
  assert(target === band.featuredId?.href, `Add target ${target} is not the actor's featured ${band.featuredId?.href}`);
  const featured = await lookup(target);
  assert(featured instanceof OrderedCollection, `featured parsed as ${featured?.constructor?.name}`);
  const ids = featured.itemIds.map((u) => u.href);
  assert(ids.includes(show.url), `featured items ${JSON.stringify(ids)}`);
  capture("received-add-featured", inboxRequestFor(got.id)?.json);
  return `featured: ${JSON.stringify(ids)}`;
});

await check("s. cancelling the show reaches the fan as Update{Event} whose summary says so", async () => {
  assert(show && showEvent, "no show");
  const r = await api("PUT", `/api/v1/shows/${show.id}`, showBody("cancelled"));
  assert(r.status === 200, `PUT answered ${r.status}: ${r.text}`);
  const got = await waitFor("Update{Event} of the show", () =>
    fan.store.received.find((x) => x.kind === "Update" && x.objectId === show.url),
  );
  const event = await got.activity.getObject();
  assert(event instanceof Event, `object is ${event?.constructor?.name}`);
  const summary = String(event.summary ?? "");
  assert(/cancel/i.test(summary), `summary does not say cancelled: ${JSON.stringify(summary)}`);
  assert(event.updated && Temporal.Instant.compare(event.updated, event.published) > 0, `updated ${event.updated} not after published ${event.published}`);
  const raw = inboxRequestFor(got.id)?.json?.object;
  assert(raw?.eventStatus === "EventCancelled", `eventStatus ${raw?.eventStatus}`);
  capture("received-update-event", inboxRequestFor(got.id)?.json);
  return JSON.stringify(summary.slice(0, 80));
});

await check("s. show DELETE via the API reaches the fan as Delete, and the show leaves featured", async () => {
  assert(show, "no show");
  const r = await api("DELETE", `/api/v1/shows/${show.id}`);
  assert(r.status === 204, `DELETE answered ${r.status}: ${r.text}`);
  const got = await waitFor("Delete of the show", () =>
    fan.store.received.find((x) => x.kind === "Delete" && x.objectId === show.url),
  );
  const req = inboxRequestFor(got.id);
  assert(req.verifiedKeyId === `${actorUrl}#main-key`, `signature not verified: ${req.verifyError ?? req.verifiedKeyId}`);
  // A fresh GET: Fedify's lookup would answer from its cache of the earlier one.
  const raw = await rawJson(band.featuredId.href);
  const ids = raw.orderedItems ?? [];
  assert(!ids.includes(show.url), `the deleted show is still featured: ${JSON.stringify(ids)}`);
  return `Delete to ${req.path} -> ${req.status}`;
});

// h. Undo{Follow} ------------------------------------------------------------------------------
await check("h. fan sends Undo{Follow} (answered 2xx)", async () => {
  assert(follow && band, "no Follow");
  const undo = new Undo({ id: newId("undo"), actor: fanActor, object: follow, to: band.id });
  const w = await send(undo, band);
  assert(w.status >= 200 && w.status < 300, `Roadie answered ${w.status}: ${w.responseText}`);
  fan.store.following.delete(band.id.href);
  capture("sent-undo-follow", JSON.parse(w.body));
  return `POST ${new URL(w.url).pathname} -> ${w.status}`;
});
await check("h. Roadie's followers collection totalItems becomes 0", async () => {
  await waitFor("totalItems 0", async () => (await followersTotal()).total === 0).catch(async (e) => {
    throw new CheckFailed(`${e.message}; last answer ${JSON.stringify(await followersTotal())}`);
  });
  const profile = await api("GET", "/api/v1/profile");
  assert(profile.json?.followers === 0, `GET /api/v1/profile followers is ${profile.json?.followers}`);
});

// JSON-LD ---------------------------------------------------------------------------------------
/**
 * Terms of a compacted document that its @context does not define. The ActivityStreams
 * context maps unknown terms to blank-node IRIs ("@vocab": "_:"), so a strict JSON-LD consumer
 * such as Fedify silently loses them: they expand to "_:term" instead of a real IRI.
 */
async function undefinedTerms(doc) {
  // Fedify's own context loader: the well-known contexts are preloaded (no network).
  const expanded = await jsonld.expand(doc, { documentLoader: ctx.contextLoader });
  const found = new Set();
  const walk = (node, where) => {
    if (Array.isArray(node)) return node.forEach((n) => walk(n, where));
    if (node == null || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith("_:")) found.add(`${where}${key.slice(2)}`);
      if (key === "@type") [value].flat().filter((t) => t.startsWith("_:")).forEach((t) => found.add(`${where}type ${t.slice(2)}`));
      walk(value, key.startsWith("http") ? `${where}${key.replace(/^.*[#/]/, "")}.` : where);
    }
  };
  walk(expanded, "");
  return [...found];
}
await check("JSON-LD: every term in the documents Roadie served or delivered is defined by its @context", async () => {
  const served = (name) => {
    const file = path.join(CAPTURE_DIR, `${name}.json`);
    return fs.existsSync(file) ? safeJson(fs.readFileSync(file, "utf8")) : null;
  };
  const releaseUrl = release?.url;
  const objectIdOf = (json) => (typeof json?.object === "string" ? json.object : json?.object?.id);
  const docs = [
    ["actor document", served("received-actor")],
    ["note document", served("received-note")],
    ["release note document", served("received-release-note")],
    ...fan.store.inboxRequests.map((r) => [
      `${r.json?.type}${releaseUrl && objectIdOf(r.json) === releaseUrl ? "{release}" : ""} delivery`,
      r.json,
    ]),
  ];
  // The release documents must be among them: the served Note and the Create, Update and Delete.
  const required = ["actor document", "note document", "release note document",
    "Create{release} delivery", "Update{release} delivery", "Delete{release} delivery"];
  const missing = required.filter((name) => !docs.some(([what, doc]) => what === name && doc != null));
  assert(missing.length === 0, `not captured, so not checked: ${missing.join(", ")}`);
  const problems = [];
  for (const [what, doc] of docs) {
    if (doc == null) continue;
    const terms = await undefinedTerms(doc);
    if (terms.length > 0) problems.push(`${what}: ${terms.join(", ")}`);
  }
  assert(problems.length === 0,
    `undefined terms expand to blank-node IRIs, so Fedify drops them (e.g. Note.sensitive reads as null): ${problems.join("; ")}`);
  return `${docs.filter(([, d]) => d != null).length} documents, release ones included`;
});

// Signatures, both ways --------------------------------------------------------------------------
await check("signatures: Roadie accepted the fan's draft-cavage rsa-sha256 signatures (RFC 9421 first knocks may get 401)", async () => {
  const posts = wire.filter((w) => w.method === "POST" && w.url.startsWith(ROADIE));
  assert(posts.length >= 5, `only ${posts.length} POSTs reached Roadie`);
  let knocks = 0;
  for (const [i, w] of posts.entries()) {
    if (w.headers["signature-input"]) {
      // Fedify >= 1.6 "double-knocks": RFC 9421 first, draft-cavage again after a 4xx.
      knocks++;
      const retry = posts.slice(i + 1).find((r) => r.body === w.body && !r.headers["signature-input"]);
      assert(w.status === 401 || (w.status >= 200 && w.status < 300), `RFC 9421 knock at ${w.url} answered ${w.status}`);
      assert(w.status !== 401 || retry, `no draft-cavage retry after the 401 at ${w.url}`);
      continue;
    }
    const sig = parseSignatureHeader(w.headers.signature);
    assert(sig.algorithm === "rsa-sha256", `${w.url} signed with ${sig.algorithm}`);
    for (const c of ["(request-target)", "host", "date", "digest"]) {
      assert(sig.headers?.split(" ").includes(c), `${w.url} signature does not cover ${c}: ${sig.headers}`);
    }
    assert(w.status >= 200 && w.status < 300, `${w.url} answered ${w.status}: ${w.responseText}`);
  }
  const cavage = posts.find((w) => !w.headers["signature-input"]);
  return `${posts.length} POSTs, ${knocks} RFC 9421 first knock(s); draft-cavage headers="${parseSignatureHeader(cavage?.headers.signature).headers}"`;
});
await check("signatures: Fedify verified every activity Roadie delivered to the fan", async () => {
  const reqs = fan.store.inboxRequests;
  assert(reqs.length >= 4, `only ${reqs.length} deliveries arrived`);
  for (const r of reqs) {
    assert(r.status >= 200 && r.status < 300, `${r.json?.type} ${r.json?.id} answered ${r.status}: ${r.responseText}`);
    assert(r.verifiedKeyId === `${actorUrl}#main-key`, `${r.json?.type} ${r.json?.id}: ${r.verifyError ?? r.verifiedKeyId}`);
  }
  assert(httpSignaturesVerified >= reqs.length,
    `Fedify's inbox logged "HTTP Signatures are verified." ${httpSignaturesVerified} times for ${reqs.length} deliveries`);
  return `${reqs.length} deliveries; ${describeSignature(reqs[0].headers)}`;
});

// ---------------------------------------------------------------------------------------------
for (const r of fan.store.inboxRequests) {
  console.log(`# received ${r.json?.type} ${r.json?.id} at ${r.path} -> ${r.status}`);
}
for (const r of fan.store.otherRequests) {
  console.log(`# fan served ${r.method} ${r.path} (Accept: ${r.accept}; ${r.signed ? `signed by ${r.signed.keyId}` : "unsigned"})`);
}
for (const w of wire.filter((w) => w.method === "POST")) {
  const scheme = w.headers["signature-input"] ? "RFC 9421" : w.headers.signature ? "draft-cavage" : "unsigned";
  console.log(`# sent ${safeJson(w.body)?.type} (${scheme}) to ${w.url} -> ${w.status ?? w.error}` +
    (w.responseText ? ` ${JSON.stringify(w.responseText.slice(0, 200))}` : ""));
  if (w.status === 401 && w.headers["signature-input"]) {
    console.log(`#   Signature-Input: ${w.headers["signature-input"]}`);
  }
}
if (fedifyProblems.length > 0) {
  console.log(`# Fedify logged ${fedifyProblems.length} warning(s)/error(s):`);
  for (const p of fedifyProblems.slice(0, 20)) console.log(`#   ${p.split("\n").slice(0, 4).join(" | ").slice(0, 400)}`);
}
await fan.close();
fs.closeSync(logFile);
const failed = results.filter((r) => !r.ok).length;
process.exit(failed > 0 ? 1 : 0);
