//! Activities as real servers send them (Mastodon's documented shapes, and what the Fedify and
//! bovine fan servers of `tests/interop/` actually sent) parse into Roadie's inbound types.

use std::path::Path;

use roadie::federation::{
    keys::VerifyingKey,
    protocol::{
        activities::{Delete, Envelope, Follow, Undo},
        actor::{RemoteActorJson, ACTOR_TYPES},
        ObjectRef,
    },
};
use serde_json::Value;

fn fixtures(software: &str) -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(software);
    let mut out: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.file_name().unwrap().to_string_lossy().into_owned(), value)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Parses one fixture the way the inbox would, returning its type.
fn parse_like_the_inbox(name: &str, value: &Value) -> String {
    let kind = value["type"].as_str().unwrap_or_default().to_owned();
    if ACTOR_TYPES.contains(&kind.as_str()) {
        let actor: RemoteActorJson =
            serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(actor.public_key.owner, actor.id, "{name}");
        VerifyingKey::from_pem(&actor.public_key.public_key_pem)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        return kind;
    }
    let envelope: Envelope =
        serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(envelope.kind, kind);
    match kind.as_str() {
        "Follow" => {
            let follow: Follow =
                serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(follow.actor, envelope.actor, "{name}");
        }
        "Undo" => {
            let undo: Undo =
                serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
            match undo.object.kind.as_deref() {
                // Embedded (Mastodon, Fedify): the undone Follow names its object.
                Some(kind) => {
                    assert_eq!(kind, "Follow", "{name}");
                    assert!(
                        undo.object.object.is_some(),
                        "{name}: the undone Follow names its object"
                    );
                }
                // By id only (bovine): the inbox finds the activity by this id, which must be
                // on the actor's own host.
                None => assert_eq!(
                    undo.object.id.host_str(),
                    undo.actor.0.host_str(),
                    "{name}: the undone activity is the actor's own"
                ),
            }
        }
        "Delete" => {
            let delete: Delete =
                serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(delete.actor, envelope.actor, "{name}");
        }
        "Like" | "Announce" => {
            let object: ObjectRef = serde_json::from_value(value["object"].clone())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(object.0.path().contains("/posts/"), "{name}: {}", object.0);
        }
        "Create" => {
            assert!(value["object"]["inReplyTo"].is_string(), "{name}: a reply");
            let author: ObjectRef = serde_json::from_value(value["object"]["attributedTo"].clone())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(author, envelope.actor, "{name}");
        }
        other => panic!("{name}: no expectation for {other}"),
    }
    kind
}

#[test]
fn mastodon_shapes_parse() {
    let kinds: Vec<String> = fixtures("mastodon")
        .iter()
        .map(|(n, v)| parse_like_the_inbox(n, v))
        .collect();
    for expected in [
        "Announce", "Create", "Delete", "Follow", "Like", "Person", "Undo",
    ] {
        assert!(
            kinds.iter().any(|k| k == expected),
            "a Mastodon {expected} fixture"
        );
    }
}

#[test]
fn fedify_captures_parse() {
    let kinds: Vec<String> = fixtures("fedify")
        .iter()
        .map(|(n, v)| parse_like_the_inbox(n, v))
        .collect();
    for expected in ["Announce", "Create", "Follow", "Like", "Undo"] {
        assert!(
            kinds.iter().any(|k| k == expected),
            "a Fedify {expected} fixture"
        );
    }
}

#[test]
fn bovine_captures_parse() {
    let captured = fixtures("bovine");
    let kinds: Vec<String> = captured
        .iter()
        .map(|(n, v)| parse_like_the_inbox(n, v))
        .collect();
    for expected in ["Announce", "Create", "Follow", "Like", "Undo"] {
        assert!(
            kinds.iter().any(|k| k == expected),
            "a bovine {expected} fixture"
        );
    }
    // bovine undoes by id: the Undo must name the very Follow it sent.
    let by_name = |name: &str| {
        &captured
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("tests/fixtures/bovine/{name}"))
            .1
    };
    let undo: Undo = serde_json::from_value(by_name("undo-follow.json").clone()).unwrap();
    assert_eq!(undo.object.kind, None, "bovine's Undo carries the id only");
    assert_eq!(
        Some(undo.object.id.as_str()),
        by_name("follow.json")["id"].as_str()
    );
}
