//! The artist's web screens beyond posts, releases and shows: interactions and replies (hide,
//! show, remove, answer), the points leaderboard, show alerts per place, track order, avatar and
//! header; each refused for someone without a role on the artist.

use roadie::domain::{self, accounts::Role};
use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::{
    web::{csrf_of, Page, WebClient},
    Backend, Peer, TestApp,
};

on_both_backends! {
    replies_are_moderated_and_answered_from_the_dashboard,
    leaderboard_and_alerts_show_fans_counts,
    tracks_are_reordered_without_javascript,
    cross_artist_access_is_refused_on_the_new_pages,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avatar_and_header_reach_the_profile_and_the_actor() {
    avatar_and_header(Backend::Sqlite).await
}

const PASSWORD: &str = "a long enough password";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// A web user with `role` on `artist`, logged in.
async fn member(app: &TestApp, name: &str, artist: &str, role: Role) -> WebClient {
    domain::accounts::create_user(app.db(), name, PASSWORD, false)
        .await
        .expect("create user");
    let user = roadie::db::users::by_username(app.db(), name)
        .await
        .unwrap()
        .unwrap();
    let artist = roadie::db::artists::by_username(app.db(), artist)
        .await
        .unwrap()
        .unwrap();
    roadie::db::users::set_role(app.db(), user.id, artist.id, role.as_str())
        .await
        .unwrap();
    let mut web = WebClient::new(&app.url(""));
    web.login(name, PASSWORD).await;
    web
}

async fn api_post(app: &TestApp, token: &str, content: &str) -> String {
    let (status, post) = app
        .api(
            reqwest::Method::POST,
            token,
            "/api/v1/posts",
            Some(json!({ "content": content })),
        )
        .await;
    assert_eq!(status, 201, "{post}");
    post["url"].as_str().unwrap().to_owned()
}

/// The fan replies to `url`; returns the reply's ActivityPub id.
async fn reply(app: &TestApp, peer: &Peer, fan: &str, n: u32, url: &str, text: &str) -> String {
    let id = format!("{}/statuses/{n}", peer.actor_id(fan));
    let create = json!({
        "id": format!("{id}/activity"), "type": "Create", "actor": peer.actor_id(fan),
        "object": {
            "id": id, "type": "Note", "attributedTo": peer.actor_id(fan),
            "inReplyTo": url, "content": format!("<p>{text}</p>"),
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        },
    });
    let res = peer.deliver(fan, &app.url("/inbox"), &create).await;
    assert_eq!(res.status(), 202);
    id
}

async fn interact(app: &TestApp, peer: &Peer, fan: &str, kind: &str, url: &str) {
    let activity = json!({
        "id": format!("{}#{}/{}", peer.actor_id(fan), kind.to_lowercase(), uuid::Uuid::new_v4()),
        "type": kind, "actor": peer.actor_id(fan), "object": url,
    });
    let res = peer.deliver(fan, &app.url("/inbox"), &activity).await;
    assert_eq!(res.status(), 202);
}

/// The dashboard id of the reply shown first on the interactions page.
fn first_reply_id(html: &str) -> i64 {
    let marker = "id=\"reply-";
    let start = html.find(marker).expect("a reply is listed") + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].parse().unwrap()
}

async fn public_page(app: &TestApp, url: &str) -> String {
    app.http
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn replies_are_moderated_and_answered_from_the_dashboard(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    // The fan does not follow: the answer reaches them through its mention.
    let peer = Peer::start(&["fan"], true).await;
    let url = api_post(&app, &token, "New song out!").await;
    let reply_ap_id = reply(&app, &peer, "fan", 1, &url, "Love it").await;
    interact(&app, &peer, "fan", "Announce", &url).await;
    interact(&app, &peer, "fan", "Like", &url).await;

    // Editors may moderate: it is not an owner-only screen.
    let mut web = member(&app, "ed", "band", Role::Editor).await;
    let overview = web.get("/dashboard/band").await;
    assert!(
        overview
            .body
            .contains("href=\"/dashboard/band/interactions\""),
        "the artist nav links the new page"
    );
    let page = web.get("/dashboard/band/interactions").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Love it"), "{}", page.body);
    assert!(
        page.body
            .contains("New song out!</a></td><td>1</td><td>1</td><td>1</td>"),
        "one boost, one like, one reply: {}",
        page.body
    );
    assert!(page.body.contains(&format!("fan@{}", peer.domain)));
    assert!(page.body.contains(" boosted ") && page.body.contains(" liked "));
    let id = first_reply_id(&page.body);
    assert!(public_page(&app, &url).await.contains("Love it"));

    // Hide: gone from the public page, still listed (marked) for the artist; then shown again.
    let res = web
        .submit(
            "/dashboard/band/interactions",
            &format!("/dashboard/band/replies/{id}/hide"),
            &[],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(!public_page(&app, &url).await.contains("Love it"));
    let page = web.get("/dashboard/band/interactions").await;
    assert!(page.body.contains("hidden-reply") && page.body.contains("Love it"));
    assert!(page.body.contains(&format!("/replies/{id}/unhide")));
    web.submit(
        "/dashboard/band/interactions",
        &format!("/dashboard/band/replies/{id}/unhide"),
        &[],
    )
    .await;
    assert!(public_page(&app, &url).await.contains("Love it"));

    // An empty answer comes back with the error next to it; what was typed is kept.
    let res = web
        .submit(
            "/dashboard/band/interactions",
            &format!("/dashboard/band/replies/{id}/answer"),
            &[("content", "   ")],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        res.body
            .contains("class=\"field-error\" id=\"answer-error-"),
        "{}",
        res.body
    );
    assert!(
        res.body.contains("Content must not be empty"),
        "{}",
        res.body
    );

    // The answer goes out, in the thread, to the fan's server.
    let res = web
        .submit(
            "/dashboard/band/interactions",
            &format!("/dashboard/band/replies/{id}/answer"),
            &[("content", "Thank you, *really*!")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(res.location.contains("answered="), "{}", res.location);
    app.run_deliveries().await;
    let creates = peer.received_of_type("Create");
    assert_eq!(
        creates.len(),
        1,
        "the mentioned fan's server gets the answer"
    );
    assert!(creates[0].signature_valid);
    let note = &creates[0].body["object"];
    assert_eq!(note["inReplyTo"], reply_ap_id.as_str());
    assert_eq!(note["tag"][0]["href"], peer.actor_id("fan"));
    assert!(note["content"]
        .as_str()
        .unwrap()
        .contains("Thank you, <em>really</em>!"));

    // Remove: gone everywhere on Roadie.
    let res = web
        .submit(
            "/dashboard/band/interactions",
            &format!("/dashboard/band/replies/{id}/delete"),
            &[],
        )
        .await;
    assert_eq!(res.status, 303);
    assert!(!public_page(&app, &url).await.contains("Love it"));
    let page = web.get("/dashboard/band/interactions").await;
    assert!(!page.body.contains("Love it"), "{}", page.body);
    assert!(page.body.contains("No replies yet."));
    // A removed reply cannot be acted on any more.
    let res = web
        .submit(
            "/dashboard/band/interactions",
            &format!("/dashboard/band/replies/{id}/unhide"),
            &[],
        )
        .await;
    assert_eq!(res.status, 404);
}

async fn leaderboard_and_alerts_show_fans_counts(backend: Backend) {
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
    assert_eq!(status, 201, "{release}");
    let id = release["id"].as_i64().unwrap();
    let url = release["url"].as_str().unwrap().to_owned();
    let mut web = member(&app, "ed", "band", Role::Editor).await;

    let page = web.get("/dashboard/band/leaderboard").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("No points in this period yet."));

    // Ann gets her pass link; one person opens it (counted), she herself does not count.
    let share = url::Url::parse_with_params(
        &app.url(&format!("/share/release/{id}")),
        [("handle", "@ann@fans.example")],
    )
    .unwrap();
    let res = app.http.get(share).send().await.unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    let code = cookie["roadie_pass=".len()..cookie.find(';').unwrap()].to_owned();
    let link = format!("{url}?via={code}");
    for (ip, own) in [("203.0.113.7", false), ("203.0.113.8", true)] {
        let mut req = app
            .http
            .get(&link)
            .header("x-forwarded-for", ip)
            .header("user-agent", FIREFOX);
        if own {
            req = req.header("cookie", format!("roadie_pass={code}"));
        }
        assert_eq!(req.send().await.unwrap().status(), 200);
    }
    for path in [
        "/dashboard/band/leaderboard",
        "/dashboard/band/leaderboard?days=7",
    ] {
        let page = web.get(path).await;
        assert_eq!(page.status, 200);
        let row = page
            .body
            .split("@ann@fans.example")
            .nth(1)
            .unwrap_or_else(|| panic!("Ann is on the board: {}", page.body));
        assert!(
            row.starts_with("</span></td><td>0</td><td>1</td><td><strong>1</strong>"),
            "no boost, one pass, one point: {row}"
        );
        assert!(page
            .body
            .contains("Pass me (Single)</a> · <strong>1</strong> passes"));
    }
    // A period that is not offered falls back to all time instead of failing.
    assert_eq!(
        web.get("/dashboard/band/leaderboard?days=banana")
            .await
            .status,
        200
    );

    // Show alerts: counts per place, never who.
    let page = web.get("/dashboard/band/alerts").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Nobody has asked yet."));
    let peer = Peer::start(&["leeds1", "leeds2", "york"], false).await;
    for (n, (fan, text)) in [
        ("leeds1", "alert me near Leeds, UK"),
        ("leeds2", "alert me near Leeds, UK"),
        ("york", "alert me near York, UK"),
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("{}/statuses/{n}", peer.actor_id(fan));
        let dm = json!({
            "id": format!("{id}/activity"), "type": "Create", "actor": peer.actor_id(fan),
            "object": {
                "id": id, "type": "Note", "attributedTo": peer.actor_id(fan),
                "to": [app.url("/users/band")], "cc": [],
                "content": format!("<p>@band {text}</p>"),
            },
        });
        let res = peer.deliver(fan, &app.url("/users/band/inbox"), &dm).await;
        assert_eq!(res.status(), 202);
    }
    let page = web.get("/dashboard/band/alerts").await;
    assert!(
        page.body
            .contains("<strong>3</strong> subscriptions in 2 places"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<tr><td>Leeds, GB</td><td>2</td></tr>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<tr><td>York, GB</td><td>1</td></tr>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("leeds1"), "fans are not named");
}

/// The track titles of a public release page, in order.
async fn public_tracks(app: &TestApp, url: &str) -> Vec<String> {
    let html = public_page(app, url).await;
    html.split("<span class=\"track-title\">")
        .skip(1)
        .map(|s| s[..s.find('<').unwrap()].to_owned())
        .collect()
}

async fn tracks_are_reordered_without_javascript(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, token) = app.artist_with_token("band").await;
    let (status, release) = app
        .api(
            reqwest::Method::POST,
            &token,
            "/api/v1/releases",
            Some(json!({
                "title": "Fruit", "kind": "ep",
                "tracks": [
                    {"title": "Apple", "duration_secs": 61},
                    {"title": "Banana", "duration_secs": 62},
                    {"title": "Cherry", "duration_secs": 63},
                ],
            })),
        )
        .await;
    assert_eq!(status, 201, "{release}");
    let id = release["id"].as_i64().unwrap();
    let url = release["url"].as_str().unwrap().to_owned();
    let form = format!("/dashboard/band/releases/{id}");
    let action = format!("/dashboard/band/releases/{id}/tracks");
    let mut web = member(&app, "ed", "band", Role::Editor).await;
    let page = web.get(&form).await;
    assert!(page.body.contains("id=\"track-order\""), "{}", page.body);
    assert!(page.body.contains("value=\"3:up\""));

    // An up button (a plain form post with the button's value).
    let res = web.submit(&form, &action, &[("move", "3:up")]).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        public_tracks(&app, &url).await,
        ["Apple", "Cherry", "Banana"]
    );

    // Position numbers: sorted by the numbers typed, ties keep their order.
    let res = web
        .submit(
            &form,
            &action,
            &[("pos_1", "3"), ("pos_2", "1"), ("pos_3", "1")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        public_tracks(&app, &url).await,
        ["Cherry", "Banana", "Apple"]
    );

    // A mistake is shown next to the list, with what was typed.
    let res = web
        .submit(
            &form,
            &action,
            &[("pos_1", "2"), ("pos_2", "first"), ("pos_3", "1")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.body
            .contains("class=\"field-error\" role=\"alert\">Give each track a position number"),
        "{}",
        res.body
    );
    assert!(
        res.body.contains("name=\"pos_2\" value=\"first\""),
        "{}",
        res.body
    );
    assert_eq!(
        public_tracks(&app, &url).await,
        ["Cherry", "Banana", "Apple"]
    );

    // The API reorders through the same domain function; lengths move with their tracks.
    let (status, body) = app
        .api(
            reqwest::Method::POST,
            &token,
            &format!("/api/v1/releases/{id}/tracks/order"),
            Some(json!({"order": [3, 2, 1]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let tracks: Vec<(Value, Value)> = body["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["title"].clone(), t["duration_secs"].clone()))
        .collect();
    assert_eq!(
        tracks,
        [
            (json!("Apple"), json!(61)),
            (json!("Banana"), json!(62)),
            (json!("Cherry"), json!(63))
        ]
    );
    for bad in [json!([1, 1, 2]), json!([1, 2]), json!([0, 1, 2])] {
        let (status, body) = app
            .api(
                reqwest::Method::POST,
                &token,
                &format!("/api/v1/releases/{id}/tracks/order"),
                Some(json!({ "order": bad })),
            )
            .await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
}

const BOUNDARY: &str = "roadie-web-artist-boundary";

/// POSTs a multipart form (the session's CSRF token first) as the logged-in `web` user.
/// `files` are (field, file name, bytes); `texts` are (field, value).
async fn post_multipart(
    app: &TestApp,
    web: &mut WebClient,
    page: &str,
    action: &str,
    files: &[(&str, &str, &[u8])],
    texts: &[(&str, &str)],
) -> Page {
    fn text(body: &mut Vec<u8>, name: &str, value: &str) {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    let csrf = csrf_of(&web.get(page).await.body);
    let mut body = Vec::new();
    text(&mut body, "csrf", &csrf);
    for (name, value) in texts {
        text(&mut body, name, value);
    }
    for (name, file_name, data) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; \
                 filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url(action))
        .header(
            "cookie",
            format!("roadie_session={}", web.cookies["roadie_session"]),
        )
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    Page {
        status: res.status().as_u16(),
        location: res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        body: res.text().await.unwrap(),
    }
}

/// `src` of the first `<img class="{class}"` on a page.
fn img_src(html: &str, class: &str) -> Option<String> {
    let marker = format!("<img class=\"{class}\" src=\"");
    let start = html.find(&marker)? + marker.len();
    Some(html[start..start + html[start..].find('"')?].to_owned())
}

async fn avatar_and_header(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.artist_with_token("band").await;
    let mut owner = member(&app, "olga", "band", Role::Owner).await;
    let profile = "/dashboard/band/profile";
    let action = "/dashboard/band/profile/images";
    let png = crate::media::png(64, 64);
    let wide = crate::media::png(300, 100);

    // Audio is no avatar: refused next to the field, nothing stored.
    let mp3 = std::fs::read("tests/fixtures/media/tone.mp3").unwrap();
    let res = post_multipart(
        &app,
        &mut owner,
        profile,
        action,
        &[("avatar", "a.mp3", &mp3)],
        &[],
    )
    .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        res.body
            .contains("<p class=\"field-error\">This must be an image"),
        "{}",
        res.body
    );
    // Nothing chosen at all is said, too.
    let res = post_multipart(&app, &mut owner, profile, action, &[], &[]).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("Choose a picture to upload"));

    let res = post_multipart(
        &app,
        &mut owner,
        profile,
        action,
        &[("avatar", "me.png", &png), ("header", "wide.png", &wide)],
        &[],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location, "/dashboard/band/profile?saved=1");

    let public = public_page(&app, &app.url("/@band")).await;
    let avatar = img_src(&public, "avatar").expect("the avatar is on the profile page");
    let header = img_src(&public, "header-image").expect("the header is on the profile page");
    assert!(
        avatar.starts_with(&app.url("/media/")) && avatar.ends_with(".png"),
        "{avatar}"
    );
    assert_ne!(avatar, header);
    for src in [&avatar, &header] {
        let res = app.http.get(src.as_str()).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/png");
    }
    let (status, _, actor) = app.get_ap(&app.url("/users/band")).await;
    assert_eq!(status, 200);
    assert_eq!(
        actor["icon"],
        json!({"type": "Image", "url": avatar, "mediaType": "image/png"})
    );
    assert_eq!(actor["image"]["url"], header.as_str());
    // The dashboard shows them too.
    let page = owner.get(profile).await;
    assert!(page
        .body
        .contains(&format!("src=\"{avatar}\" alt=\"Current avatar\"")));

    // Removing the avatar keeps the header.
    let res = post_multipart(
        &app,
        &mut owner,
        profile,
        action,
        &[],
        &[("remove_avatar", "1")],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let (_, _, actor) = app.get_ap(&app.url("/users/band")).await;
    assert!(actor.get("icon").is_none(), "{actor}");
    assert_eq!(actor["image"]["url"], header.as_str());

    // The API sets them through the same domain rule: only the artist's own images.
    let (_, token) = app.artist_with_token("other").await;
    let (status, body) = app
        .api(
            reqwest::Method::PATCH,
            &token,
            "/api/v1/profile",
            Some(json!({"avatar_media_id": "0123456789abcdef0123456789abcdef"})),
        )
        .await;
    assert_eq!(status, 422, "{body}");

    // An editor may not change pictures (the profile is the owners').
    let mut editor = member(&app, "ed", "band", Role::Editor).await;
    let res = post_multipart(
        &app,
        &mut editor,
        "/dashboard/band",
        action,
        &[("avatar", "me.png", &png)],
        &[],
    )
    .await;
    assert_eq!(res.status, 403, "{}", res.body);
}

async fn cross_artist_access_is_refused_on_the_new_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.artist_with_token("alpha").await;
    let (_, beta_token) = app.artist_with_token("beta").await;
    let peer = Peer::start(&["fan"], true).await;
    let url = api_post(&app, &beta_token, "Beta news").await;
    reply(&app, &peer, "fan", 1, &url, "Beta reply").await;
    let (status, release) = app
        .api(
            reqwest::Method::POST,
            &beta_token,
            "/api/v1/releases",
            Some(json!({"title": "B", "kind": "ep", "tracks": [{"title": "B1"}, {"title": "B2"}]})),
        )
        .await;
    assert_eq!(status, 201);
    let release_id = release["id"].as_i64().unwrap();
    let (_, replies) = app
        .api(reqwest::Method::GET, &beta_token, "/api/v1/replies", None)
        .await;
    let reply_id = replies[0]["id"].as_i64().unwrap();

    // The owner of alpha: every page and action of beta is as if it did not exist.
    let mut web = member(&app, "al", "alpha", Role::Owner).await;
    for path in [
        "/dashboard/beta/interactions",
        "/dashboard/beta/leaderboard",
        "/dashboard/beta/alerts",
    ] {
        assert_eq!(web.get(path).await.status, 404, "{path}");
    }
    let posts = [
        format!("/dashboard/beta/replies/{reply_id}/hide"),
        format!("/dashboard/beta/replies/{reply_id}/delete"),
        format!("/dashboard/beta/replies/{reply_id}/answer"),
        format!("/dashboard/beta/releases/{release_id}/tracks"),
        // Through alpha's own pages, naming beta's objects.
        format!("/dashboard/alpha/replies/{reply_id}/hide"),
        format!("/dashboard/alpha/replies/{reply_id}/delete"),
        format!("/dashboard/alpha/replies/{reply_id}/answer"),
        format!("/dashboard/alpha/releases/{release_id}/tracks"),
    ];
    for action in &posts {
        let res = web
            .submit(
                "/dashboard/alpha",
                action,
                &[("content", "Mine now"), ("move", "2:up")],
            )
            .await;
        assert_eq!(res.status, 404, "{action}: {}", res.body);
    }
    let res = post_multipart(
        &app,
        &mut web,
        "/dashboard/alpha",
        "/dashboard/beta/profile/images",
        &[("avatar", "x.png", &crate::media::png(8, 8))],
        &[],
    )
    .await;
    assert_eq!(res.status, 404);

    // Nothing changed for beta.
    let (_, replies) = app
        .api(reqwest::Method::GET, &beta_token, "/api/v1/replies", None)
        .await;
    assert_eq!(replies[0]["hidden"], false, "{replies}");
    let (_, release) = app
        .api(
            reqwest::Method::GET,
            &beta_token,
            &format!("/api/v1/releases/{release_id}"),
            None,
        )
        .await;
    assert_eq!(release["tracks"][0]["title"], "B1");
    let (_, _, actor) = app.get_ap(&app.url("/users/beta")).await;
    assert!(actor.get("icon").is_none());
    assert!(peer.received_of_type("Create").is_empty());
    // And without a session the pages ask to log in.
    let mut anonymous = WebClient::new(&app.url(""));
    let res = anonymous.get("/dashboard/alpha/interactions").await;
    assert_eq!(res.status, 303);
    assert!(res.location.starts_with("/login"));
}
