//! Pass links: a fan's own link to a release; distinct visitors are passes worth points — once
//! per visitor and day, never the fan themselves or a bot.

use serde_json::json;

use crate::on_both_backends;
use crate::support::{Backend, Peer, TestApp};

on_both_backends! {
    pass_links_count_distinct_human_visitors,
}

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

async fn pass_links_count_distinct_human_visitors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let (status, release) = app
        .api(
            reqwest::Method::POST,
            &token,
            "/api/v1/releases",
            Some(json!({"title": "Pass me", "kind": "single"})),
        )
        .await;
    assert_eq!(status, 201);
    let id = release["id"].as_i64().unwrap();
    let url = release["url"].as_str().unwrap().to_owned();

    // The release page offers "Pass it along"; the share page gives Ann her link.
    let page = app
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!(r#"href="/share/release/{id}""#)),
        "{page}"
    );
    let share = |handle: &str| {
        url::Url::parse_with_params(
            &app.url(&format!("/share/release/{id}")),
            [("handle", handle)],
        )
        .unwrap()
        .to_string()
    };
    let res = app
        .http
        .get(share("@Ann@fans.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("roadie_pass=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let code = cookie["roadie_pass=".len()..cookie.find(';').unwrap()].to_owned();
    let html = res.text().await.unwrap();
    let link = format!("{url}?via={code}");
    assert!(html.contains(&link), "{html}");
    assert!(
        !link.contains("ann") && !link.contains("fans.example"),
        "the link does not name the fan"
    );
    assert!(html.contains("http://fans.example/share?text="), "{html}");
    // Stable: the same fan gets the same link.
    let again = app
        .http
        .get(share("ann@fans.example"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(again.contains(&link));
    let bad = app
        .http
        .get(share("not a handle"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        bad.contains("does not look like a fediverse handle"),
        "{bad}"
    );

    let visit = |ip: &'static str, ua: &'static str, own: bool| {
        let mut req = app
            .http
            .get(&link)
            .header("x-forwarded-for", ip)
            .header("user-agent", ua);
        if own {
            req = req.header("cookie", format!("theme=dark; roadie_pass={code}"));
        }
        async move { assert_eq!(req.send().await.unwrap().status(), 200) }
    };
    visit("203.0.113.1", FIREFOX, false).await; // counts
    visit("203.0.113.1", FIREFOX, false).await; // same visitor, same day
    visit("203.0.113.2", FIREFOX, false).await; // counts
    visit(
        "203.0.113.3",
        "Mastodon/4.5.0 (http.rb/5.2; +https://m.example/)",
        false,
    )
    .await; // link preview
    visit(
        "203.0.113.4",
        "Mozilla/5.0 (compatible; Googlebot/2.1)",
        false,
    )
    .await; // crawler
    visit("203.0.113.5", FIREFOX, true).await; // Ann herself
    let unknown = format!("{url}?via=nosuchcode");
    app.http
        .get(&unknown)
        .header("user-agent", FIREFOX)
        .send()
        .await
        .unwrap();

    let (status, ledger) = app
        .api(reqwest::Method::GET, &token, "/api/v1/passes", None)
        .await;
    assert_eq!(status, 200, "{ledger}");
    assert_eq!(ledger.as_array().unwrap().len(), 1, "{ledger}");
    assert_eq!(ledger[0]["handle"], "ann@fans.example");
    assert_eq!(ledger[0]["passes"], 2);
    assert_eq!(ledger[0]["points"], 2);

    let (status, per_object) = app
        .api(reqwest::Method::GET, &token, "/api/v1/passes/objects", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        per_object,
        json!([{"kind": "release", "id": id, "url": url, "passes": 2}])
    );

    // A boost by a fan adds to their points, next to passes, on the artist page too.
    let peer = Peer::start(&["bob"], true).await;
    let boost = json!({
        "id": format!("{}#boosts/1", peer.actor_id("bob")),
        "type": "Announce",
        "actor": peer.actor_id("bob"),
        "object": url,
    });
    assert_eq!(
        peer.deliver("bob", &app.url("/inbox"), &boost)
            .await
            .status(),
        202
    );
    let (_, ledger) = app
        .api(reqwest::Method::GET, &token, "/api/v1/passes?days=30", None)
        .await;
    let bob = ledger
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["handle"] == format!("bob@{}", peer.domain))
        .unwrap();
    assert_eq!(
        (bob["boosts"].as_i64(), bob["points"].as_i64()),
        (Some(1), Some(1))
    );
    let profile = app
        .http
        .get(app.url("/@band"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let board = profile
        .split("<h2>Top passers</h2>")
        .nth(1)
        .unwrap_or_default();
    assert!(
        board.contains("@ann@fans.example") && board.contains("<strong>2</strong>"),
        "{board}"
    );
}
