//! Every way a delivery can be forged or malformed is refused with the right 4xx and changes
//! nothing.

use std::time::{Duration, SystemTime};

use crate::on_both_backends;
use crate::support::{Backend, Peer, SignOptions, TestApp};

on_both_backends! {
    forged_and_malformed_deliveries_are_refused,
    an_unknown_artists_inbox_is_404_until_the_artist_exists,
}

const HOUR: Duration = Duration::from_secs(3600);

async fn forged_and_malformed_deliveries_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.artist_with_token("band").await;
    let peer = Peer::start(&["fan", "mallory"], true).await;
    let inbox = app.url("/users/band/inbox");
    let follow = peer.follow("fan", &app.url("/users/band"));
    let body = follow.to_string().into_bytes();
    let without = |c: &str| SignOptions {
        components: SignOptions::default()
            .components
            .into_iter()
            .filter(|x| *x != c)
            .collect(),
        ..SignOptions::default()
    };

    let cases: Vec<(&str, Vec<u8>, SignOptions, u16)> = vec![
        (
            "unsigned",
            body.clone(),
            SignOptions {
                unsigned: true,
                ..Default::default()
            },
            401,
        ),
        (
            "tampered body",
            br#"{"id":"x","type":"Follow"}"#.to_vec(),
            SignOptions {
                digest_of: Some(body.clone()),
                ..Default::default()
            },
            401,
        ),
        ("digest not signed", body.clone(), without("digest"), 401),
        ("date not signed", body.clone(), without("date"), 401),
        ("host not signed", body.clone(), without("host"), 401),
        (
            "request-target not signed",
            body.clone(),
            without("(request-target)"),
            401,
        ),
        (
            "date 13 h old",
            body.clone(),
            SignOptions {
                date: SystemTime::now() - 13 * HOUR,
                ..Default::default()
            },
            401,
        ),
        (
            "date 2 h ahead",
            body.clone(),
            SignOptions {
                date: SystemTime::now() + 2 * HOUR,
                ..Default::default()
            },
            401,
        ),
        (
            "Host of another server",
            body.clone(),
            SignOptions {
                host: Some("other.example".to_owned()),
                ..Default::default()
            },
            401,
        ),
        (
            "key of another actor",
            body.clone(),
            SignOptions {
                signer: Some("mallory".to_owned()),
                ..Default::default()
            },
            401,
        ),
        (
            "2 MiB body",
            vec![b' '; 2 * 1024 * 1024],
            SignOptions::default(),
            413,
        ),
        (
            "invalid JSON",
            b"{\"type\": \"Follow\",".to_vec(),
            SignOptions::default(),
            400,
        ),
        (
            "JSON nested 10,000 deep",
            format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
            SignOptions::default(),
            400,
        ),
        (
            "activity id on another host than its actor",
            serde_json::json!({
                "id": "http://elsewhere.example/follows/1",
                "type": "Follow",
                "actor": peer.actor_id("fan"),
                "object": app.url("/users/band"),
            })
            .to_string()
            .into_bytes(),
            SignOptions::default(),
            400,
        ),
    ];

    for (name, body, opts, expected) in cases {
        // A connection the server closed after the oversized upload may be handed out once
        // more by the client's pool; such a transport error is retried, never a status.
        let mut attempt = peer
            .try_post_signed("fan", &inbox, &body, opts.clone())
            .await;
        if matches!(&attempt, Err(e) if expected != 413 && (e.is_request() || e.is_connect())) {
            attempt = peer.try_post_signed("fan", &inbox, &body, opts).await;
        }
        let res = match attempt {
            Ok(res) => res,
            // Refusing an oversized body before reading it, the server may close the connection
            // while the client is still sending; the client then never sees the 413.
            Err(e) if expected == 413 => {
                eprintln!("{name}: connection closed during upload ({e})");
                continue;
            }
            Err(e) => panic!("{name}: {e}"),
        };
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        assert_eq!(status, expected, "{name}: {text}");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert!(json["error"].is_string(), "{name}: error body {text}");
    }

    // The same oversized body through the router in-process, where no socket can cut the answer
    // short: always 413 with the JSON error shape.
    let request = axum::http::Request::post("/users/band/inbox")
        .header("host", &app.domain)
        .header("content-type", "application/activity+json")
        .body(axum::body::Body::from(vec![b' '; 2 * 1024 * 1024]))
        .unwrap();
    let response = tower::ServiceExt::oneshot(roadie::http::router(app.state.clone()), request)
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(json["error"].is_string());

    app.run_deliveries().await;
    assert_eq!(
        app.follower_count("band").await,
        0,
        "no refused delivery had an effect"
    );
    assert!(
        peer.received().is_empty(),
        "nothing was sent in answer to a refused delivery"
    );

    // The same Follow, signed properly, still works afterwards: nothing above marked it seen.
    let res = peer.deliver("fan", &inbox, &follow).await;
    assert_eq!(res.status(), 202);
    assert_eq!(app.follower_count("band").await, 1);
    app.run_deliveries().await;
}

/// The artist's own inbox answers 404 for a name no artist has, however often it is asked
/// (no answer about a missing artist is cached), and takes deliveries as soon as it exists.
async fn an_unknown_artists_inbox_is_404_until_the_artist_exists(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let peer = Peer::start(&["fan"], true).await;
    let inbox = app.url("/users/newband/inbox");
    let follow = peer.follow("fan", &app.url("/users/newband"));
    // An Undo, unlike a Follow, names no artist its handler would look up: only the inbox's own
    // check can refuse it.
    let undo = peer.undo("fan", &follow);
    for attempt in 1..=2 {
        let res = peer.deliver("fan", &inbox, &undo).await;
        assert_eq!(res.status(), 404, "attempt {attempt}");
    }
    let res = peer.deliver("fan", &inbox, &follow).await;
    assert_eq!(res.status(), 404);

    app.artist_with_token("newband").await;
    let res = peer.deliver("fan", &inbox, &follow).await;
    assert_eq!(
        res.status(),
        202,
        "the refused Follow was not recorded as seen"
    );
    assert_eq!(app.follower_count("newband").await, 1);
    // Now cached as existing: still accepted.
    let again = peer.follow("fan", &app.url("/users/newband"));
    assert_eq!(peer.deliver("fan", &inbox, &again).await.status(), 202);
    app.run_deliveries().await;
}
