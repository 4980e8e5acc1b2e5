//! The web interface over plain HTTP: first-run set-up, log-in and its rate limit, CSRF on
//! every form, roles enforced on the server, invites, password change, API tokens.

use roadie::domain::{self, accounts::Role};

use crate::on_both_backends;
use crate::support::{web::WebClient, Backend, TestApp};

on_both_backends! {
    setup_link_makes_the_first_admin_once,
    forms_without_the_csrf_token_are_refused,
    roles_are_enforced_on_every_action,
    login_is_rate_limited,
    invites_passwords_and_tokens,
}

const PASSWORD: &str = "a long enough password";

async fn user(app: &TestApp, name: &str, admin: bool) {
    domain::accounts::create_user(app.db(), name, PASSWORD, admin)
        .await
        .expect("create user");
}

async fn role(app: &TestApp, user: &str, artist: &str, role: Role) {
    let admin = roadie::db::users::by_username(app.db(), user)
        .await
        .unwrap()
        .unwrap();
    let artist = roadie::db::artists::by_username(app.db(), artist)
        .await
        .unwrap()
        .unwrap();
    roadie::db::users::set_role(app.db(), admin.id, artist.id, role.as_str())
        .await
        .unwrap();
}

async fn setup_link_makes_the_first_admin_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = domain::accounts::setup_token(app.db())
        .await
        .unwrap()
        .expect("no admin yet: a set-up link");
    let path = format!("/join/{token}");
    let mut web = WebClient::new(&app.url(""));
    let page = web.get(&path).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Set up Roadie"), "{}", page.body);

    // A mistake keeps what was typed and says what is wrong next to the field.
    let res = web
        .submit(
            &path,
            &path,
            &[
                ("username", "boss"),
                ("password", "short"),
                ("password_again", "short"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("value=\"boss\""), "{}", res.body);
    assert!(
        res.body.contains("class=\"field-error\">Password must be"),
        "{}",
        res.body
    );

    let res = web
        .submit(
            &path,
            &path,
            &[
                ("username", "boss"),
                ("password", PASSWORD),
                ("password_again", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location, "/admin");
    let admin = web.get("/admin").await;
    assert_eq!(admin.status, 200);
    assert!(admin.body.contains("Create an artist"));

    // The link is spent, and no new one is made once an admin exists.
    let mut other = WebClient::new(&app.url(""));
    assert!(matches!(other.get(&path).await.status, 404 | 410));
    assert!(domain::accounts::setup_token(app.db())
        .await
        .unwrap()
        .is_none());
    let stored = roadie::db::users::by_username(app.db(), "boss")
        .await
        .unwrap()
        .unwrap();
    assert!(stored.is_admin);
    assert!(stored.password_hash.starts_with("$argon2id$"));
}

async fn forms_without_the_csrf_token_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.artist_with_token("band").await;
    user(&app, "ann", false).await;
    role(&app, "ann", "band", Role::Owner).await;
    let mut web = WebClient::new(&app.url(""));

    // Even the log-in form wants its token (double-submit cookie).
    let res = web
        .post("/login", &[("username", "ann"), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status, 403);
    assert!(!web.cookies.contains_key("roadie_session"));
    web.login("ann", PASSWORD).await;

    let post = [
        ("content", "Hello from the dashboard"),
        ("visibility", "public"),
    ];
    let res = web.post("/dashboard/band", &post).await;
    assert_eq!(res.status, 403, "no token: refused");
    assert!(res.body.contains("security token"), "{}", res.body);
    let mut forged = vec![("csrf", "0000")];
    forged.extend_from_slice(&post);
    assert_eq!(web.post("/dashboard/band", &forged).await.status, 403);
    let artist = roadie::db::artists::by_username(app.db(), "band")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        roadie::db::posts::count_live(app.db(), artist.id)
            .await
            .unwrap(),
        0
    );

    // Multipart forms too: a file before the token is never stored.
    let boundary = "XyZzY";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nSneaky\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"publication\"\r\n\r\nnow\r\n\
         --{boundary}--\r\n"
    );
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url("/dashboard/band/releases/new"))
        .header(
            "cookie",
            format!("roadie_session={}", web.cookies["roadie_session"]),
        )
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // With the token it works.
    let res = web
        .submit("/dashboard/band", "/dashboard/band", &post)
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        roadie::db::posts::count_live(app.db(), artist.id)
            .await
            .unwrap(),
        1
    );

    // Log-out ends the session on the server.
    let session = web.cookies["roadie_session"].clone();
    let res = web.submit("/dashboard", "/logout", &[]).await;
    assert_eq!(res.status, 303);
    let mut replay = WebClient::new(&app.url(""));
    replay.cookies.insert("roadie_session".into(), session);
    let res = replay.get("/dashboard").await;
    assert_eq!(res.status, 303);
    assert!(res.location.starts_with("/login"), "{}", res.location);
}

async fn roles_are_enforced_on_every_action(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.artist_with_token("alpha").await;
    app.artist_with_token("beta").await;
    user(&app, "ed", false).await;
    role(&app, "ed", "alpha", Role::Editor).await;
    let mut web = WebClient::new(&app.url(""));
    web.login("ed", PASSWORD).await;

    let home = web.get("/dashboard").await;
    assert!(home.body.contains("/dashboard/alpha"));
    assert!(!home.body.contains("/dashboard/beta"));
    assert_eq!(web.get("/dashboard/alpha").await.status, 200);
    assert_eq!(web.get("/dashboard/alpha/releases/new").await.status, 200);
    // Owner-only sections of their own artist.
    assert_eq!(web.get("/dashboard/alpha/tokens").await.status, 403);
    assert_eq!(web.get("/dashboard/alpha/profile").await.status, 403);
    // Nothing of another artist: pages and actions alike.
    for path in [
        "/dashboard/beta",
        "/dashboard/beta/releases",
        "/dashboard/beta/shows/new",
        "/dashboard/beta/followers",
        "/dashboard/beta/tokens",
    ] {
        assert_eq!(web.get(path).await.status, 404, "{path}");
    }
    let res = web
        .submit(
            "/dashboard/alpha",
            "/dashboard/beta",
            &[("content", "not mine"), ("visibility", "public")],
        )
        .await;
    assert_eq!(res.status, 404);
    let res = web
        .submit("/dashboard/alpha", "/dashboard/beta/tokens", &[])
        .await;
    assert_eq!(res.status, 404);
    let beta = roadie::db::artists::by_username(app.db(), "beta")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        roadie::db::posts::count_live(app.db(), beta.id)
            .await
            .unwrap(),
        0
    );
    // A release of alpha cannot be reached through beta's address either.
    let (_, alpha_token) = (
        (),
        domain::artists::create_token(app.db(), "alpha")
            .await
            .unwrap(),
    );
    let (status, release) = app
        .api(
            reqwest::Method::POST,
            &alpha_token,
            "/api/v1/releases",
            Some(serde_json::json!({"title": "Alpha", "kind": "single", "draft": true})),
        )
        .await;
    assert_eq!(status, 201, "{release}");
    let id = release["id"].as_i64().unwrap();
    let res = web
        .submit(
            "/dashboard/alpha",
            &format!("/dashboard/beta/releases/{id}/delete"),
            &[],
        )
        .await;
    assert_eq!(res.status, 404);
    // Admin screens.
    assert_eq!(web.get("/admin").await.status, 403);
    assert_eq!(web.get("/admin/federation").await.status, 403);
    let res = web
        .submit(
            "/dashboard/alpha",
            "/admin/artists",
            &[("username", "gamma"), ("name", "Gamma")],
        )
        .await;
    assert_eq!(res.status, 403);
    assert!(roadie::db::artists::by_username(app.db(), "gamma")
        .await
        .unwrap()
        .is_none());
}

async fn login_is_rate_limited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, "ann", false).await;
    let mut web = WebClient::new(&app.url(""));
    let max = app.state.config.limits.login_max_failures;
    for _ in 0..max {
        let res = web
            .submit(
                "/login",
                "/login",
                &[("username", "ann"), ("password", "wrong password!")],
            )
            .await;
        assert_eq!(res.status, 422);
        assert!(res.body.contains("do not match"));
        assert!(res.body.contains("value=\"ann\""), "the name typed is kept");
    }
    // Now even the right password waits.
    let res = web
        .submit(
            "/login",
            "/login",
            &[("username", "ann"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 429);
    assert!(!web.cookies.contains_key("roadie_session"));
    // The count lives in the database, not in the process: a new process (as behind a
    // round-robin proxy, or after a restart) refuses as well.
    let app = app.restart().await;
    let mut web = WebClient::new(&app.url(""));
    let res = web
        .submit(
            "/login",
            "/login",
            &[("username", "ann"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 429, "another process counts the same failures");
    // Another name from the same address is not affected.
    user(&app, "bob", false).await;
    web.login("bob", PASSWORD).await;
}

async fn invites_passwords_and_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.artist_with_token("band").await;
    user(&app, "boss", true).await;
    let mut admin = WebClient::new(&app.url(""));
    admin.login("boss", PASSWORD).await;
    let res = admin
        .submit(
            "/admin",
            "/admin/invites",
            &[("artist", "band"), ("role", "owner")],
        )
        .await;
    assert_eq!(res.status, 200);
    let marker = "id=\"invite-link\" class=\"token\">";
    let start = res.body.find(marker).expect("invite link shown") + marker.len();
    let link = &res.body[start..start + res.body[start..].find('<').unwrap()];
    let path = link.trim_start_matches(&app.url("")).to_owned();
    assert!(path.starts_with("/join/"), "{link}");

    let mut web = WebClient::new(&app.url(""));
    let page = web.get(&path).await;
    assert!(page.body.contains("owner"), "{}", page.body);
    let res = web
        .submit(
            &path,
            &path,
            &[
                ("username", "newbie"),
                ("password", PASSWORD),
                ("password_again", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(web.get("/dashboard/band/tokens").await.status, 200);

    // API tokens: shown once, they work, they can be revoked.
    let res = web
        .submit("/dashboard/band/tokens", "/dashboard/band/tokens", &[])
        .await;
    let marker = "id=\"new-token\" class=\"token\">";
    let start = res.body.find(marker).expect("token shown") + marker.len();
    let token = res.body[start..start + res.body[start..].find('<').unwrap()].to_owned();
    let (status, _) = app
        .api(reqwest::Method::GET, &token, "/api/v1/profile", None)
        .await;
    assert_eq!(status, 200);
    let list = web.get("/dashboard/band/tokens").await;
    assert!(!list.body.contains(&token), "shown once only");
    let artist = roadie::db::artists::by_username(app.db(), "band")
        .await
        .unwrap()
        .unwrap();
    for (id, _) in roadie::db::tokens::of_artist(app.db(), artist.id)
        .await
        .unwrap()
    {
        let res = web
            .submit(
                "/dashboard/band/tokens",
                &format!("/dashboard/band/tokens/{id}/revoke"),
                &[],
            )
            .await;
        assert_eq!(res.status, 303);
    }
    let (status, _) = app
        .api(reqwest::Method::GET, &token, "/api/v1/profile", None)
        .await;
    assert_eq!(status, 401);

    // Password change: the wrong current password is refused; then the new one works.
    let res = web
        .submit(
            "/account",
            "/account/password",
            &[
                ("current", "not it at all"),
                ("new", "another long password"),
                ("new_again", "another long password"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains("Current password is not right"),
        "{}",
        res.body
    );
    let res = web
        .submit(
            "/account",
            "/account/password",
            &[
                ("current", PASSWORD),
                ("new", "another long password"),
                ("new_again", "another long password"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let mut again = WebClient::new(&app.url(""));
    again.login("newbie", "another long password").await;
}
