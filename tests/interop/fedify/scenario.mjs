// The interop scenario: a Fedify fan server follows a running Roadie artist, receives what
// Roadie federates, interacts with a post and unfollows. Every step is a named check printed
// as "ok - name" or "not ok - name: reason" (TAP-like; run.sh counts them).
//
// Environment (all set by ../run.sh):
//   ROADIE_ORIGIN   e.g. http://localhost:18080      ROADIE_TOKEN  API bearer token
//   ROADIE_USER     the artist's username (band)     FAN_PORT      port for the fan server
//   CAPTURE_DIR     where to write the captured activities as pretty JSON
//   FEDIFY_LOG      file for Fedify's own log (debug level)
//   STEP_TIMEOUT_MS how long to wait for each asynchronous arrival (default 20000)

import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { Temporal } from "@js-temporal/polyfill";
import { configure, defaultTextFormatter } from "@logtape/logtape";
import jsonld from "jsonld";
import {
  Announce,
  Create,
  Follow,
  Like,
  lookupWebFinger,
  Mention,
  Note,
  PUBLIC_COLLECTION,
  OrderedCollection,
  traverseCollection,
  Undo,
} from "@fedify/fedify";
import { FAN, parseSignatureHeader, startFanServer } from "./fan-server.mjs";

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
  const byHandle = await ctx.lookupObject(`@${handle}`);
  const byUrl = await ctx.lookupObject(actorUrl);
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
  const raw = await (await realFetch(actorUrl, { headers: { Accept: "application/activity+json" }, signal: AbortSignal.timeout(STEP_TIMEOUT_MS) })).json();
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
  const note = await ctx.lookupObject(post.url);
  assert(note instanceof Note, `GET ${post.url} parsed as ${note?.constructor?.name ?? note}`);
  assert(String(note.content ?? "").includes(postText), "dereferenced note lacks the text");
  capture("received-note", await (await realFetch(post.url, { headers: { Accept: "application/activity+json" }, signal: AbortSignal.timeout(STEP_TIMEOUT_MS) })).json());
  const outbox = await ctx.lookupObject(`${actorUrl}/outbox`);
  assert(outbox instanceof OrderedCollection, `outbox parsed as ${outbox?.constructor?.name ?? outbox}`);
  const items = [];
  for await (const item of traverseCollection(outbox, { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader })) {
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

// e. Interactions ------------------------------------------------------------------------------
let reply = null;
await check("e. fan sends Like of the post (answered 2xx)", async () => {
  assert(post && band, "no post");
  const like = new Like({ id: newId("like"), actor: fanActor, object: new URL(post.url), to: band.id });
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
  capture("sent-announce", JSON.parse(w.body));
  return `POST ${new URL(w.url).pathname} -> ${w.status}`;
});
await check("e. fan sends a reply, Create{Note inReplyTo the post} (answered 2xx)", async () => {
  assert(post && band, "no post");
  const noteId = randomUUID();
  const note = new Note({
    id: ctx.getObjectUri(Note, { id: noteId }),
    attribution: fanActor,
    content: `<p><span class="h-card"><a href="${band.url?.href ?? actorUrl}" class="u-url mention">@<span>${USER}</span></a></span> Great song!</p>`,
    replyTarget: new URL(post.url),
    tags: [new Mention({ href: band.id, name: `@${handle}` })],
    tos: [PUBLIC_COLLECTION],
    ccs: [band.id, ctx.getFollowersUri(FAN)],
    published: Temporal.Now.instant(),
  });
  fan.store.notes.set(noteId, note);
  reply = new Create({
    id: newId("create"),
    actor: fanActor,
    object: note,
    tos: [PUBLIC_COLLECTION],
    ccs: [band.id, ctx.getFollowersUri(FAN)],
    published: Temporal.Now.instant(),
  });
  const w = await send(reply, band);
  assert(w.status >= 200 && w.status < 300, `Roadie answered ${w.status}: ${w.responseText}`);
  capture("sent-reply-create", JSON.parse(w.body));
  return `POST ${new URL(w.url).pathname} -> ${w.status}`;
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
  const docs = [
    ["actor document", served("received-actor")],
    ["note document", served("received-note")],
    ...fan.store.inboxRequests.map((r) => [`${r.json?.type} delivery`, r.json]),
  ];
  const problems = [];
  for (const [what, doc] of docs) {
    if (doc == null) continue;
    const terms = await undefinedTerms(doc);
    if (terms.length > 0) problems.push(`${what}: ${terms.join(", ")}`);
  }
  assert(docs.length >= 5, `only ${docs.length} documents to check`);
  assert(problems.length === 0,
    `undefined terms expand to blank-node IRIs, so Fedify drops them (e.g. Note.sensitive reads as null): ${problems.join("; ")}`);
  return `${docs.length} documents`;
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
