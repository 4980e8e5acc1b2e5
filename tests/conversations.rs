//! The artist answers fans and moderates replies; fans command by direct message.

use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::{Backend, Peer, TestApp};

on_both_backends! {
    artist_answers_a_reply_with_a_mention,
    artist_hides_and_removes_replies,
    hide_me_by_direct_message,
}

async fn post_and_reply(app: &TestApp, token: &str, peer: &Peer) -> (String, String) {
    let (status, post) = app
        .api(
            reqwest::Method::POST,
            token,
            "/api/v1/posts",
            Some(json!({"content": "New song!"})),
        )
        .await;
    assert_eq!(status, 201);
    let url = post["url"].as_str().unwrap().to_owned();
    let reply_id = format!("{}/statuses/1", peer.actor_id("fan"));
    let create = json!({
        "id": format!("{reply_id}/activity"),
        "type": "Create",
        "actor": peer.actor_id("fan"),
        "object": {
            "id": reply_id, "type": "Note", "attributedTo": peer.actor_id("fan"),
            "inReplyTo": url, "content": "<p>Love it</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        },
    });
    assert_eq!(
        peer.deliver("fan", &app.url("/inbox"), &create)
            .await
            .status(),
        202
    );
    (url, reply_id)
}

async fn reply_id_in_api(app: &TestApp, token: &str) -> i64 {
    let (status, replies) = app
        .api(reqwest::Method::GET, token, "/api/v1/replies", None)
        .await;
    assert_eq!(status, 200, "{replies}");
    replies[0]["id"].as_i64().unwrap()
}

async fn artist_answers_a_reply_with_a_mention(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    // The fan does not follow: the answer reaches them through the mention.
    let peer = Peer::start(&["fan"], true).await;
    let (_, reply_id) = post_and_reply(&app, &token, &peer).await;
    let id = reply_id_in_api(&app, &token).await;
    let (status, answer) = app
        .api(
            reqwest::Method::POST,
            &token,
            &format!("/api/v1/replies/{id}/answer"),
            Some(json!({"content": "Thank you!"})),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    app.run_deliveries().await;

    let creates = peer.received_of_type("Create");
    assert_eq!(
        creates.len(),
        1,
        "the mentioned fan's server receives the answer"
    );
    assert!(creates[0].signature_valid);
    let note = &creates[0].body["object"];
    assert_eq!(
        note["inReplyTo"],
        reply_id.as_str(),
        "it sits in the thread"
    );
    assert_eq!(note["tag"][0]["type"], "Mention");
    assert_eq!(note["tag"][0]["href"], peer.actor_id("fan"));
    assert_eq!(note["tag"][0]["name"], format!("@fan@{}", peer.domain));
    assert!(note["cc"]
        .as_array()
        .unwrap()
        .contains(&json!(peer.actor_id("fan"))));
    assert_eq!(
        note["to"],
        json!(["https://www.w3.org/ns/activitystreams#Public"])
    );
    let content = note["content"].as_str().unwrap();
    assert!(
        content.contains(r#"class="u-url mention""#) && content.contains("Thank you!"),
        "{content}"
    );
    assert_eq!(note["id"], answer["url"]);
}

async fn artist_hides_and_removes_replies(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let (_, other) = app.artist_with_token("other").await;
    let peer = Peer::start(&["fan"], true).await;
    let (url, _) = post_and_reply(&app, &token, &peer).await;
    let id = reply_id_in_api(&app, &token).await;
    let page = || async {
        app.http
            .get(&url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert!(page().await.contains("Love it"));

    // Another artist cannot touch it.
    let (status, _) = app
        .api(
            reqwest::Method::POST,
            &other,
            &format!("/api/v1/replies/{id}/hide"),
            None,
        )
        .await;
    assert_eq!(status, 404);

    let (status, _) = app
        .api(
            reqwest::Method::POST,
            &token,
            &format!("/api/v1/replies/{id}/hide"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert!(!page().await.contains("Love it"));
    let (_, replies) = app
        .api(reqwest::Method::GET, &token, "/api/v1/replies", None)
        .await;
    assert_eq!(replies[0]["hidden"], true, "the artist still sees it");
    let (status, _) = app
        .api(
            reqwest::Method::POST,
            &token,
            &format!("/api/v1/replies/{id}/unhide"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert!(page().await.contains("Love it"));
    let (status, _) = app
        .api(
            reqwest::Method::DELETE,
            &token,
            &format!("/api/v1/replies/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert!(!page().await.contains("Love it"));
    let (_, replies) = app
        .api(reqwest::Method::GET, &token, "/api/v1/replies", None)
        .await;
    assert_eq!(replies, json!([]));
}

fn direct_message(app: &TestApp, peer: &Peer, n: u32, text: &str) -> Value {
    let id = format!("{}/statuses/dm{n}", peer.actor_id("fan"));
    json!({
        "id": format!("{id}/activity"),
        "type": "Create",
        "actor": peer.actor_id("fan"),
        "object": {
            "id": id, "type": "Note", "attributedTo": peer.actor_id("fan"),
            "to": [app.url("/users/band")], "cc": [],
            "content": format!(r#"<p><span class="h-card"><a href="{}" class="u-url mention">@<span>band</span></a></span> {text}</p>"#, app.url("/@band")),
            "tag": [{"type": "Mention", "href": app.url("/users/band")}],
        },
    })
}

async fn hide_me_by_direct_message(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let peer = Peer::start(&["fan"], true).await;
    let (status, post) = app
        .api(
            reqwest::Method::POST,
            &token,
            "/api/v1/posts",
            Some(json!({"content": "Boost me"})),
        )
        .await;
    assert_eq!(status, 201);
    let boost = json!({
        "id": format!("{}#boosts/1", peer.actor_id("fan")), "type": "Announce",
        "actor": peer.actor_id("fan"), "object": post["url"],
    });
    peer.deliver("fan", &app.url("/inbox"), &boost).await;
    let board = || async {
        let html = app
            .http
            .get(app.url("/@band"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        html.split("<h2>Top passers</h2>")
            .nth(1)
            .unwrap_or_default()
            .to_owned()
    };
    assert!(board().await.contains(&format!("@fan@{}", peer.domain)));

    for (n, text, expect) in [
        (1, "Hide me!", "left out"),
        (2, "what can you do?", "hide me"),
        (3, "show me", "again"),
    ] {
        let res = peer
            .deliver(
                "fan",
                &app.url("/users/band/inbox"),
                &direct_message(&app, &peer, n, text),
            )
            .await;
        assert_eq!(res.status(), 202);
        app.run_deliveries().await;
        let answers = peer.received_of_type("Create");
        let answer = &answers.last().expect("an answer by direct message").body["object"];
        assert!(
            answer["content"].as_str().unwrap().contains(expect),
            "{text}: {answer}"
        );
        assert_eq!(
            answer["to"],
            json!([peer.actor_id("fan")]),
            "only the fan is addressed"
        );
        assert_eq!(answer["cc"], json!([]));
        assert_eq!(answer["tag"][0]["type"], "Mention");
        assert_eq!(
            answer["inReplyTo"],
            format!("{}/statuses/dm{n}", peer.actor_id("fan"))
        );
        if n == 1 {
            assert!(
                board().await.is_empty()
                    || !board().await.contains(&format!("@fan@{}", peer.domain)),
                "hidden after hide me"
            );
            let (_, ledger) = app
                .api(reqwest::Method::GET, &token, "/api/v1/passes", None)
                .await;
            assert_eq!(ledger[0]["points"], 1, "points still count for the artist");
        }
    }
    assert!(
        board().await.contains(&format!("@fan@{}", peer.domain)),
        "back after show me"
    );
    // Direct answers are not public: not listed, not served.
    let (_, _, outbox) = app.get_ap(&app.url("/users/band/outbox")).await;
    assert_eq!(outbox["totalItems"], 1);
}
