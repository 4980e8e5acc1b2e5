// A small ActivityPub "fan server" built on Fedify: one Person actor, "fan", with an RSA key
// pair, a personal inbox, the shared inbox, followers and following collections. Everything
// that arrives in an inbox is kept in memory: the raw request as Roadie sent it, and the
// activity as Fedify parsed it after its own signature checks.
//
// Used in-process by scenario.mjs. Can also run on its own for manual poking:
//   node fan-server.mjs 8090        (serves http://localhost:8090/users/fan)

import http from "node:http";
import process from "node:process";
import {
  Accept,
  Add,
  Announce,
  Create,
  createFederation,
  Delete,
  Endpoints,
  exportJwk,
  Follow,
  generateCryptoKeyPair,
  importJwk,
  Like,
  MemoryKvStore,
  Note,
  Person,
  Reject,
  Remove,
  Undo,
  Update,
  verifyRequest,
} from "@fedify/fedify";

export const FAN = "fan";
/** The fan's display name (its Person's `name`). */
export const FAN_NAME = "A Fan";

/** Parses a draft-cavage `Signature` header into its fields. */
export function parseSignatureHeader(value) {
  const fields = {};
  for (const m of (value ?? "").matchAll(/([a-zA-Z]+)="([^"]*)"/g)) fields[m[1]] = m[2];
  return fields;
}

/**
 * Starts the fan server on 127.0.0.1:port, known to the world as http://localhost:port.
 * Returns the federation, the in-memory store, and a close() function.
 */
export async function startFanServer({
  port,
  hostname = "localhost",
  bind = "127.0.0.1",
  ed25519 = false, // also an Ed25519 key, as Fedify apps usually have: adds FEP-8b32 proofs
  log = () => {},
}) {
  const origin = `http://${hostname}:${port}`;
  const store = {
    /** Raw POSTs to the inboxes: { path, headers, body, json, status, signature, verifiedKeyId } */
    inboxRequests: [],
    /** Activities handed to the listeners, after Fedify verified and parsed them. */
    received: [],
    /** Actor ids the fan follows / that follow the fan; notes the fan wrote, by id. */
    following: new Set(),
    followers: new Set(),
    notes: new Map(),
    /** Every other request (actor, key and collection fetches): { method, path, accept, signed } */
    otherRequests: [],
    keyPairs: null,
  };

  const federation = createFederation({
    kv: new MemoryKvStore(),
    // No message queue: sendActivity delivers at once and throws on a non-2xx answer, and
    // inbox listeners run before the inbox answers.
    allowPrivateAddress: true, // Roadie runs on loopback during the test.
    origin,
  });

  federation
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
      if (identifier !== FAN) return null;
      const keys = await ctx.getActorKeyPairs(identifier);
      return new Person({
        id: ctx.getActorUri(identifier),
        preferredUsername: identifier,
        name: FAN_NAME,
        summary: "Fedify-based test peer for Roadie's interop harness",
        url: new URL(`/@${identifier}`, origin),
        inbox: ctx.getInboxUri(identifier),
        endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
        followers: ctx.getFollowersUri(identifier),
        following: ctx.getFollowingUri(identifier),
        publicKey: keys[0].cryptographicKey,
        assertionMethods: keys.map((k) => k.multikey),
        manuallyApprovesFollowers: false,
        discoverable: true,
      });
    })
    .setKeyPairsDispatcher(async (_ctx, identifier) => {
      if (identifier !== FAN) return [];
      if (store.keyPairs == null) {
        // Generated once per run with Fedify's helper; kept as JWK like a real server would.
        store.keyPairs = [];
        for (const algorithm of ed25519 ? ["RSASSA-PKCS1-v1_5", "Ed25519"] : ["RSASSA-PKCS1-v1_5"]) {
          const { privateKey, publicKey } = await generateCryptoKeyPair(algorithm);
          store.keyPairs.push({ privateKey: await exportJwk(privateKey), publicKey: await exportJwk(publicKey) });
        }
      }
      return Promise.all(
        store.keyPairs.map(async (k) => ({
          privateKey: await importJwk(k.privateKey, "private"),
          publicKey: await importJwk(k.publicKey, "public"),
        })),
      );
    });

  federation.setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) => {
    if (identifier !== FAN) return null;
    return { items: [...store.followers].map((id) => new URL(id)) };
  });
  federation.setFollowingDispatcher("/users/{identifier}/following", (_ctx, identifier) => {
    if (identifier !== FAN) return null;
    return { items: [...store.following].map((id) => new URL(id)) };
  });
  federation.setObjectDispatcher(Note, "/notes/{id}", (_ctx, { id }) => store.notes.get(id) ?? null);

  const remember = (kind) => async (ctx, activity) => {
    const json = await activity.toJsonLd({ contextLoader: ctx.contextLoader });
    const entry = {
      kind,
      id: activity.id?.href ?? null,
      actorId: activity.actorId?.href ?? null,
      objectId: activity.objectId?.href ?? null,
      activity, // the Fedify vocabulary object
      json, // Fedify's re-serialization (compacted JSON-LD)
      at: Date.now(),
    };
    store.received.push(entry);
    log(`# fan inbox: ${kind} ${entry.id} (actor ${entry.actorId})`);
  };

  federation
    .setInboxListeners("/users/{identifier}/inbox", "/inbox")
    .on(Accept, remember("Accept"))
    .on(Reject, remember("Reject"))
    .on(Create, remember("Create"))
    .on(Update, remember("Update"))
    .on(Delete, remember("Delete"))
    .on(Announce, remember("Announce"))
    .on(Like, remember("Like"))
    .on(Add, remember("Add"))
    .on(Remove, remember("Remove"))
    .on(Follow, async (ctx, follow) => {
      await remember("Follow")(ctx, follow);
      if (follow.actorId) store.followers.add(follow.actorId.href);
    })
    .on(Undo, remember("Undo"))
    .onError((_ctx, error) => log(`# fan inbox error: ${error?.stack ?? error}`));

  // Node's http server in front of federation.fetch (Fedify speaks the Fetch API).
  const server = http.createServer(async (req, res) => {
    try {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const body = Buffer.concat(chunks);
      const url = new URL(req.url, `http://${req.headers.host ?? `${hostname}:${port}`}`);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (Array.isArray(value)) value.forEach((v) => headers.append(name, v));
        else if (value != null) headers.set(name, value);
      }
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      const request = new Request(url, { method: req.method, headers, body: hasBody ? body : undefined });

      let record = null;
      if (!(req.method === "POST" && /\/inbox$/.test(url.pathname))) {
        store.otherRequests.push({
          method: req.method,
          path: url.pathname + url.search,
          accept: headers.get("accept"),
          userAgent: headers.get("user-agent"),
          signed: headers.has("signature") ? parseSignatureHeader(headers.get("signature")) : null,
        });
      } else {
        let json = null;
        try {
          json = JSON.parse(body.toString("utf8"));
        } catch {
          // Fedify will answer 400; keep the raw text.
        }
        record = {
          path: url.pathname,
          headers: Object.fromEntries(headers),
          body: body.toString("utf8"),
          json,
          signature: parseSignatureHeader(headers.get("signature")),
          verifiedKeyId: null,
          status: null,
        };
        store.inboxRequests.push(record);
        // An independent check with Fedify's own verifier (the inbox does the same one).
        try {
          const ctx = federation.createContext(new URL(origin), undefined);
          const key = await verifyRequest(request.clone(), {
            documentLoader: ctx.documentLoader,
            contextLoader: ctx.contextLoader,
          });
          record.verifiedKeyId = key?.id?.href ?? null;
        } catch (e) {
          record.verifyError = String(e);
        }
      }

      const response = await federation.fetch(request, { contextData: undefined });
      if (record) {
        record.status = response.status;
        if (!response.ok) record.responseText = await response.clone().text();
        log(`# fan inbox: POST ${url.pathname} ${json_type(record.json)} -> ${response.status}`);
      }
      res.statusCode = response.status;
      response.headers.forEach((value, name) => res.setHeader(name, value));
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (e) {
      log(`# fan server error: ${e?.stack ?? e}`);
      res.statusCode = 500;
      res.end("internal error");
    }
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, bind, resolve);
  });

  return {
    origin,
    federation,
    store,
    context: () => federation.createContext(new URL(origin), undefined),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function json_type(json) {
  return json && typeof json === "object" ? `${json.type}` : "(not JSON)";
}

// Standalone mode.
if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.argv[2] ?? 8090);
  const fan = await startFanServer({ port, log: (line) => console.log(line) });
  console.log(`fan server on ${fan.origin}/users/${FAN}`);
}
