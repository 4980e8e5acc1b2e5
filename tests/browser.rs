//! The web interface in a real browser: headless Chromium driven through chromedriver
//! (WebDriver) with `fantoccini`. SQLite only, to keep CI time down; the same handlers are
//! tested on both backends over plain HTTP in `web.rs`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Screenshots of the
//! main screens are written to `$CARGO_TARGET_DIR/screenshots/` (or `target/screenshots/`).

use std::{path::PathBuf, process::Stdio, time::Duration};

use fantoccini::{Client, ClientBuilder, Locator};
use roadie::domain::{self, accounts::Role};
use serde_json::json;

use crate::support::{Backend, Peer, TestApp};

const PASSWORD: &str = "a long enough password";

/// chromedriver on a loopback port, ended when dropped.
struct Driver {
    child: tokio::process::Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn find_program(names: &[&str]) -> String {
    for name in names {
        for dir in ["/usr/bin", "/usr/local/bin", "/usr/lib/chromium"] {
            let path = format!("{dir}/{name}");
            if std::path::Path::new(&path).exists() {
                return path;
            }
        }
    }
    panic!(
        "{} not found: install Debian's chromium and chromium-driver (.ci/run does)",
        names.join(" or ")
    )
}

async fn start_driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = tokio::process::Command::new(find_program(&["chromedriver"]))
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start chromedriver");
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..100 {
        if let Ok(res) = http.get(format!("{url}/status")).send().await {
            if res.status().is_success() {
                return Driver { child, url };
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer on {url} within 10 s");
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": find_program(&["chromium", "chromium-browser"]),
            // A phone-sized window: the interface is mobile first.
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=430,1400", "--lang=en-US"],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("WebDriver session")
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// Saves a screenshot and checks it is a real rendering: a PNG of the window's size with
/// more than a handful of colours (a blank or error-free white page fails).
async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    let path = screenshot_dir().join(format!("{name}.png"));
    std::fs::write(&path, &png).expect("write screenshot");
    let img = image::load_from_memory_with_format(&png, image::ImageFormat::Png)
        .expect("screenshot is a PNG")
        .to_rgb8();
    assert!(img.width() >= 300 && img.height() >= 300, "{name}: tiny");
    let mut colours = std::collections::HashSet::new();
    for p in img.pixels().step_by(7) {
        colours.insert(p.0);
        if colours.len() > 16 {
            break;
        }
    }
    assert!(
        colours.len() > 16,
        "{name}: looks blank ({} colours)",
        colours.len()
    );
}

async fn fill(c: &Client, id: &str, text: &str) {
    let field = c
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"));
    field.clear().await.ok();
    field.send_keys(text).await.expect("type");
}

/// Sets an input's value by script (date and time inputs take locale-specific keystrokes).
async fn set_value(c: &Client, id: &str, value: &str) {
    c.execute(
        "document.getElementById(arguments[0]).value = arguments[1];",
        vec![json!(id), json!(value)],
    )
    .await
    .expect("set value");
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .expect("click");
}

/// Waits (at most 20 s) until the page's path is `path`.
async fn wait_path(c: &Client, path: &str) {
    for _ in 0..200 {
        if let Ok(url) = c.current_url().await {
            if url.path() == path {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let now = c
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_default();
    let source = c.source().await.unwrap_or_default();
    panic!("never reached {path}; at {now}:\n{source}");
}

/// The page's text; retried while a navigation replaces the document (at most 5 s).
async fn body_text(c: &Client) -> String {
    let mut last = None;
    for _ in 0..50 {
        match c.find(Locator::Css("body")).await {
            Ok(body) => match body.text().await {
                Ok(text) => return text,
                Err(e) => last = Some(e),
            },
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no page text: {last:?}")
}

async fn login(c: &Client, app: &TestApp, username: &str) {
    c.goto(&app.url("/login")).await.unwrap();
    fill(c, "username", username).await;
    fill(c, "password", PASSWORD).await;
    click(c, "form.card button[type=submit]").await;
    wait_path(c, "/dashboard").await;
}

async fn logout(c: &Client) {
    click(c, "header.top form button").await;
    wait_path(c, "/login").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn artist_journey_in_a_real_browser() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let driver = start_driver().await;
    let c = browser(&driver).await;
    let result = journey(&app, &c).await;
    c.close().await.ok();
    result
}

async fn journey(app: &TestApp, c: &Client) {
    // First run: the set-up link (what `roadie serve` prints) creates the admin.
    let token = domain::accounts::setup_token(app.db())
        .await
        .unwrap()
        .expect("set-up link");
    c.goto(app.state.urls.join(&token).as_str()).await.unwrap();
    fill(c, "username", "boss").await;
    fill(c, "password", PASSWORD).await;
    fill(c, "password_again", PASSWORD).await;
    shot(c, "01-setup").await;
    click(c, "form.card button[type=submit]").await;
    wait_path(c, "/admin").await;

    // Log out and in again.
    logout(c).await;
    fill(c, "username", "boss").await;
    fill(c, "password", "wrong password").await;
    click(c, "form.card button[type=submit]").await;
    c.wait()
        .for_element(Locator::Css(".field-error"))
        .await
        .unwrap();
    assert_eq!(
        c.find(Locator::Id("username"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("boss"),
        "the name typed is kept"
    );
    shot(c, "02-login-error").await;
    login(c, app, "boss").await;

    // The admin creates an artist and owns it.
    c.goto(&app.url("/admin")).await.unwrap();
    fill(c, "artist_username", "band").await;
    fill(c, "artist_name", "The Band").await;
    fill(c, "artist_owner", "boss").await;
    shot(c, "03-admin").await;
    click(c, "form[action='/admin/artists'] button").await;
    wait_path(c, "/dashboard/band").await;
    assert!(body_text(c).await.contains("The Band"));
    shot(c, "04-dashboard").await;

    // The admin blocks a domain through the moderation page.
    c.goto(&app.url("/admin/blocks")).await.unwrap();
    fill(c, "domain", "spam.example").await;
    click(c, "form[action='/admin/blocks'] button").await;
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("div[id^='block-']"))
        .await
        .expect("the block is listed");
    assert!(body_text(c).await.contains("spam.example"));
    shot(c, "04b-admin-blocks").await;

    // A fan on a Mastodon-like server follows.
    let fans = Peer::start(&["fan"], true).await;
    let res = fans
        .deliver(
            "fan",
            &app.url("/inbox"),
            &fans.follow("fan", &app.url("/users/band")),
        )
        .await;
    assert_eq!(res.status(), 202);
    app.run_deliveries().await;

    // A release with a cover and an audio preview, published at once. The upload goes through
    // the script's XHR with its progress bar.
    let dir = tempfile::tempdir().unwrap();
    let cover = dir.path().join("cover.png");
    std::fs::write(&cover, crate::media::png(400, 400)).unwrap();
    let audio = dir.path().join("song.wav");
    std::fs::write(&audio, crate::media::wav(8000, 1500)).unwrap();
    c.goto(&app.url("/dashboard/band/releases/new"))
        .await
        .unwrap();
    fill(c, "title", "First Light").await;
    c.find(Locator::Id("kind"))
        .await
        .unwrap()
        .select_by_value("single")
        .await
        .unwrap();
    fill(c, "description", "Our **first** single.").await;
    c.find(Locator::Id("cover"))
        .await
        .unwrap()
        .send_keys(cover.to_str().unwrap())
        .await
        .unwrap();
    c.find(Locator::Id("audio"))
        .await
        .unwrap()
        .send_keys(audio.to_str().unwrap())
        .await
        .unwrap();
    fill(c, "tracks", "First Light").await;
    shot(c, "05-release-form").await;
    click(c, "form[data-upload] button[type=submit]").await;
    // Lands on the release's edit page.
    let mut landed = String::new();
    for _ in 0..200 {
        let path = c.current_url().await.unwrap().path().to_owned();
        if path.starts_with("/dashboard/band/releases/") && !path.ends_with("/new") {
            landed = path;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        !landed.is_empty(),
        "release not created: {}",
        c.source().await.unwrap()
    );
    let text = body_text(c).await;
    assert!(text.contains("published"), "{text}");
    shot(c, "06-release-edit").await;

    // The public page plays it; the follower's server got the Create with the audio.
    let public = c
        .find(Locator::LinkText("Public page"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .expect("public link");
    c.goto(&public).await.unwrap();
    let html = c.source().await.unwrap();
    assert!(html.contains("First Light"));
    assert!(html.contains("<audio"), "a player on the public page");
    shot(c, "07-release-public").await;
    app.run_deliveries().await;
    let creates = fans.received_of_type("Create");
    assert_eq!(creates.len(), 1, "one Create to the follower");
    let note = &creates[0].body["object"];
    assert_eq!(note["id"], public.as_str());
    assert!(note["content"].as_str().unwrap().contains("First Light"));
    let attachments = note["attachment"].as_array().expect("attachments");
    assert!(
        attachments.iter().any(|a| a["mediaType"] == "audio/wav"
            || a["mediaType"]
                .as_str()
                .unwrap_or_default()
                .starts_with("audio/")),
        "{note}"
    );

    // A show, with the city autocomplete from the gazetteer, then cancelled.
    c.goto(&app.url("/dashboard/band/shows/new")).await.unwrap();
    fill(c, "venue_name", "Brudenell Social Club").await;
    fill(c, "city", "Leed").await;
    let mut suggested = false;
    for _ in 0..50 {
        let options = c
            .find_all(Locator::Css("#city-options option"))
            .await
            .unwrap();
        for o in options {
            if o.attr("value").await.unwrap().unwrap_or_default() == "Leeds, GB" {
                suggested = true;
            }
        }
        if suggested {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(suggested, "the autocomplete offers Leeds, GB");
    fill(c, "city", "Leeds, GB").await;
    set_value(c, "date", "2031-06-07").await;
    set_value(c, "time", "20:00").await;
    set_value(c, "doors", "19:00").await;
    fill(c, "ticket_url", "https://tickets.example/brudenell").await;
    shot(c, "08-show-form").await;
    click(c, "form.card button[type=submit]").await;
    wait_path(c, "/dashboard/band/shows").await;
    let text = body_text(c).await;
    assert!(text.contains("Brudenell Social Club"), "{text}");
    assert!(text.contains("scheduled"), "{text}");
    shot(c, "09-shows").await;
    // The confirmation dialog is the script's; accept it.
    c.execute("window.confirm = function () { return true; };", vec![])
        .await
        .unwrap();
    click(c, "form[action$='/cancel'] button").await;
    for _ in 0..100 {
        if body_text(c).await.contains("cancelled") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(body_text(c).await.contains("cancelled"));
    app.run_deliveries().await;
    let events: Vec<_> = fans
        .received()
        .into_iter()
        .filter(|r| r.body["object"]["type"] == "Event")
        .collect();
    assert!(
        events.iter().any(|r| r.body["type"] == "Create"),
        "show announced"
    );
    assert!(
        events.iter().any(|r| {
            let status = r.body["object"]["eventStatus"].as_str().unwrap_or_default();
            let summary = r.body["summary"].as_str().unwrap_or_default();
            r.body["type"] == "Update"
                && (status.contains("Cancelled") || summary.contains("ancel"))
        }),
        "cancellation sent: {:?}",
        events.iter().map(|e| &e.body).collect::<Vec<_>>()
    );

    // An editor of another artist cannot reach this one's dashboard.
    app.artist_with_token("other").await;
    domain::accounts::create_user(app.db(), "ed", PASSWORD, false)
        .await
        .unwrap();
    let ed = roadie::db::users::by_username(app.db(), "ed")
        .await
        .unwrap()
        .unwrap();
    let other = roadie::db::artists::by_username(app.db(), "other")
        .await
        .unwrap()
        .unwrap();
    roadie::db::users::set_role(app.db(), ed.id, other.id, Role::Editor.as_str())
        .await
        .unwrap();
    c.goto(&app.url("/dashboard")).await.unwrap();
    logout(c).await;
    login(c, app, "ed").await;
    let text = body_text(c).await;
    assert!(text.contains("other"), "{text}");
    assert!(!text.contains("The Band"), "{text}");
    c.goto(&app.url("/dashboard/band/releases")).await.unwrap();
    let text = body_text(c).await;
    assert!(text.contains("Not found"), "{text}");
    assert!(!text.contains("First Light"));
    shot(c, "10-editor-refused").await;
}
