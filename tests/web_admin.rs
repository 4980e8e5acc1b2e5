//! The admin's web screens over plain HTTP: instance settings (seen on the home page and in
//! NodeInfo, registrations enforced), domain blocks (forms, CSV import/export, the same list as
//! the JSON API), reports, artist and user suspension, the audit log, admin-only access and CSRF, and the
//! pruning of expired sessions.

use std::time::Duration;

use roadie::domain;
use serde_json::Value;

use crate::on_both_backends;
use crate::support::{
    web::{csrf_of, Page, WebClient},
    Backend, TestApp,
};

on_both_backends! {
    instance_settings_show_on_the_home_page_and_in_nodeinfo,
    domain_blocks_through_the_forms,
    reports_resolved_and_artists_suspended_through_the_forms,
    user_accounts_suspended_and_reinstated,
}

const PASSWORD: &str = "a long enough password";

/// An admin `boss` logged in through the web.
async fn admin(app: &TestApp) -> WebClient {
    domain::accounts::create_user(app.db(), "boss", PASSWORD, true)
        .await
        .expect("create admin");
    let mut web = WebClient::new(&app.url(""));
    web.login("boss", PASSWORD).await;
    web
}

async fn nodeinfo(app: &TestApp) -> Value {
    app.http
        .get(app.url("/nodeinfo/2.1"))
        .send()
        .await
        .expect("GET nodeinfo")
        .json()
        .await
        .expect("nodeinfo JSON")
}

async fn home(app: &TestApp) -> String {
    app.http
        .get(app.url("/"))
        .send()
        .await
        .expect("GET /")
        .text()
        .await
        .expect("home page")
}

fn assert_field_error(page: &Page, message_start: &str) {
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body
            .contains(&format!("class=\"field-error\">{message_start}")),
        "no field error {message_start:?}: {}",
        page.body
    );
}

async fn instance_settings_show_on_the_home_page_and_in_nodeinfo(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut web = admin(&app).await;

    // Never set: the domain is the name, as before.
    assert!(home(&app)
        .await
        .contains(&format!("<h1>{}</h1>", app.domain)));
    assert_eq!(nodeinfo(&app).await["metadata"]["nodeName"], app.domain);

    let good = [
        ("name", "Loud Music Club"),
        (
            "description",
            "A home for **loud** bands. <script>alert(1)</script>",
        ),
        ("rules", "Be kind\n\nNo spam\n"),
        ("contact_email", "crew@music.example"),
        ("contact_account", "@crew@music.example"),
        ("registrations", "invite"),
        ("action", "save"),
    ];

    // A mistake is said next to its field, and everything typed comes back.
    let mut bad = good;
    bad[3] = ("contact_email", "not an address");
    let res = web.submit("/admin/instance", "/admin/instance", &bad).await;
    assert_field_error(&res, "Contact e-mail must");
    assert!(
        res.body.contains("value=\"Loud Music Club\""),
        "{}",
        res.body
    );
    assert!(res.body.contains("value=\"not an address\""));
    assert!(res.body.contains("Be kind\n\nNo spam"));
    assert_eq!(nodeinfo(&app).await["metadata"]["nodeName"], app.domain);

    // The preview renders the Markdown without saving.
    let mut preview = good;
    preview[6] = ("action", "preview");
    let res = web
        .submit("/admin/instance", "/admin/instance", &preview)
        .await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("<strong>loud</strong>"), "{}", res.body);
    assert_eq!(nodeinfo(&app).await["metadata"]["nodeName"], app.domain);

    let res = web
        .submit("/admin/instance", "/admin/instance", &good)
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location, "/admin/instance?saved=1");
    let form = web.get("/admin/instance?saved=1").await;
    assert!(form.body.contains("Settings saved"));
    assert!(form.body.contains("value=\"crew@music.example\""));

    let page = home(&app).await;
    assert!(page.contains("<h1>Loud Music Club</h1>"), "{page}");
    assert!(
        page.contains("A home for <strong>loud</strong> bands."),
        "{page}"
    );
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(page.contains("<li>Be kind</li>") && page.contains("<li>No spam</li>"));
    assert!(page.contains("mailto:crew@music.example"));
    assert!(page.contains("@crew@music.example"));
    let info = nodeinfo(&app).await;
    assert_eq!(info["metadata"]["nodeName"], "Loud Music Club");
    assert!(info["metadata"]["nodeDescription"]
        .as_str()
        .unwrap()
        .starts_with("A home for **loud** bands."));
    assert_eq!(info["openRegistrations"], false);

    // Closed registrations: no invite links, and open ones stop working.
    let user = roadie::db::users::by_username(app.db(), "boss")
        .await
        .unwrap()
        .unwrap();
    let token = domain::accounts::invite(app.db(), &user, None)
        .await
        .unwrap();
    assert_eq!(web.get(&format!("/join/{token}")).await.status, 200);
    let mut closed = good;
    closed[5] = ("registrations", "closed");
    let res = web
        .submit("/admin/instance", "/admin/instance", &closed)
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let res = web.submit("/admin", "/admin/invites", &[]).await;
    assert_field_error(&res, "Registrations are closed");
    assert!(!res.body.contains("id=\"invite-link\""));
    assert_eq!(web.get(&format!("/join/{token}")).await.status, 410);
    let res = web
        .submit("/admin/instance", "/admin/instance", &good)
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(web.get(&format!("/join/{token}")).await.status, 200);
    let res = web.submit("/admin", "/admin/invites", &[]).await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("id=\"invite-link\""));
}

async fn export(web: &mut WebClient) -> String {
    let res = web.get("/admin/blocks/export.csv").await;
    assert_eq!(res.status, 200);
    res.body
}

async fn api_block_domains(app: &TestApp, token: &str) -> Vec<String> {
    let (status, body) = app
        .api(
            reqwest::Method::GET,
            token,
            "/api/v1/admin/domain_blocks",
            None,
        )
        .await;
    assert_eq!(status, 200);
    body.as_array()
        .unwrap()
        .iter()
        .map(|b| b["domain"].as_str().unwrap().to_owned())
        .collect()
}

async fn domain_blocks_through_the_forms(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut web = admin(&app).await;
    let token = domain::moderation::create_admin_token(app.db(), "api")
        .await
        .unwrap();

    let block = [
        ("domain", "Spam.Example"),
        ("severity", "silence"),
        ("reject_media", "on"),
        ("public_comment", "Spam, lots"),
        ("private_comment", "see report 1"),
    ];
    let res = web.submit("/admin/blocks", "/admin/blocks", &block).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let list = web.get("/admin/blocks").await;
    assert!(
        list.body.contains("<strong>spam.example</strong>"),
        "{}",
        list.body
    );
    assert!(list.body.contains("see report 1"));
    assert!(export(&mut web)
        .await
        .contains("\nspam.example,silence,true,false,\"Spam, lots\",false\n"));
    assert_eq!(api_block_domains(&app, &token).await, vec!["spam.example"]);

    // Refusals are shown next to the field, with what was typed.
    let mut bad = block;
    bad[0] = ("domain", "spam example/path");
    let res = web.submit("/admin/blocks", "/admin/blocks", &bad).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        res.body.contains("is not a domain name</p>"),
        "{}",
        res.body
    );
    assert!(res.body.contains("value=\"Spam, lots\""));
    let res = web.submit("/admin/blocks", "/admin/blocks", &block).await;
    assert_field_error(&res, "Spam.example is blocked already");

    // Edit: the severity changes, the domain stays.
    let id = roadie::db::moderation::block_by_domain(app.db(), "spam.example")
        .await
        .unwrap()
        .unwrap()
        .id;
    let edit = format!("/admin/blocks/{id}");
    let page = web.get(&edit).await;
    assert!(
        page.body.contains("value=\"see report 1\""),
        "{}",
        page.body
    );
    let res = web
        .submit(
            &edit,
            &edit,
            &[("domain", "other.example"), ("severity", "suspend")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let csv = export(&mut web).await;
    assert!(
        csv.contains("\nspam.example,suspend,false,false,,false\n"),
        "{csv}"
    );
    assert!(!csv.contains("other.example"));

    // An import with bad lines imports nothing and lists every bad line; the text stays.
    let bad_csv = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n\
                   ok.example,suspend,false,false,,false\n\
                   bad domain,suspend,false,false,,false\n\
                   worse.example,explode,false,false,,false\n";
    let page = web.get("/admin/blocks").await;
    let csrf = csrf_of(&page.body);
    let res = web
        .post_multipart(
            "/admin/blocks/import",
            &[
                ("csrf", None, &csrf),
                ("csv", None, bad_csv),
                ("file", Some(""), ""),
            ],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("<li>line 3: "), "{}", res.body);
    assert!(
        res.body.contains("<li>line 4: severity must be"),
        "{}",
        res.body
    );
    assert!(
        res.body.contains("ok.example,suspend"),
        "the typed CSV is kept"
    );
    assert_eq!(api_block_domains(&app, &token).await, vec!["spam.example"]);

    // A file upload works too.
    let good_csv = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n\
                    ok.example,suspend,false,false,,false\n\
                    noisy.example,silence,false,true,Loud,false\n";
    let res = web
        .post_multipart(
            "/admin/blocks/import",
            &[
                ("csrf", None, &csrf),
                ("csv", None, ""),
                ("file", Some("blocks.csv"), good_csv),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location, "/admin/blocks?imported=2");
    let mut domains = api_block_domains(&app, &token).await;
    domains.sort();
    assert_eq!(domains, vec!["noisy.example", "ok.example", "spam.example"]);

    // Without the CSRF token an import does nothing.
    let res = web
        .post_multipart(
            "/admin/blocks/import",
            &[("csv", None, good_csv.replace("ok.", "more.").as_str())],
        )
        .await;
    assert_eq!(res.status, 403);

    // Remove.
    let res = web
        .submit("/admin/blocks", &format!("/admin/blocks/{id}/delete"), &[])
        .await;
    assert_eq!(res.status, 303);
    assert!(!export(&mut web).await.contains("spam.example"));
    assert!(!api_block_domains(&app, &token)
        .await
        .contains(&"spam.example".to_owned()));

    // Every step is in the audit log, with who did it.
    let audit = web.get("/admin/audit").await;
    assert_eq!(audit.status, 200);
    for action in [
        "domain_block.create",
        "domain_block.update",
        "domain_block.import",
        "domain_block.delete",
    ] {
        assert!(audit.body.contains(action), "{action}: {}", audit.body);
    }
    assert!(audit.body.contains("user:boss"));
}

async fn reports_resolved_and_artists_suspended_through_the_forms(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.artist_with_token("band").await;
    let mut web = admin(&app).await;
    let token = domain::moderation::create_admin_token(app.db(), "api")
        .await
        .unwrap();

    domain::moderation::receive_report(
        app.db(),
        "https://remote.example/flags/1",
        "https://remote.example/actor",
        Some(app.url("/users/band")),
        &[app.url("/users/band/posts/1")],
        "Please look at this",
    )
    .await
    .unwrap();
    let list = web.get("/admin/reports").await;
    assert_eq!(list.status, 200);
    assert!(list
        .body
        .contains("Received from https://remote.example/actor"));
    assert!(list.body.contains("Please look at this"));
    let id = roadie::db::moderation::list_reports(app.db(), false)
        .await
        .unwrap()[0]
        .id;
    let res = web
        .submit(
            "/admin/reports",
            &format!("/admin/reports/{id}/resolve"),
            &[],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(web
        .get("/admin/reports")
        .await
        .body
        .contains("No open reports."));
    let (_, resolved) = app
        .api(
            reqwest::Method::GET,
            &token,
            "/api/v1/admin/reports?resolved=true",
            None,
        )
        .await;
    assert_eq!(resolved[0]["action_taken"], true);
    assert_eq!(resolved[0]["action_taken_by"], "user:boss");
    let page = web.get("/admin/reports?resolved=true").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Resolved by user:boss"),
        "the resolved report is listed on its page: {}",
        page.body
    );
    assert!(
        !page.body.contains("/resolve\""),
        "no resolve button on resolved reports"
    );

    // Suspend: the public page is gone; lift it: back.
    let public = |path: &'static str| {
        let app = &app;
        async move {
            app.http
                .get(app.url(path))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(public("/@band").await, 200);
    let res = web
        .submit(
            "/admin",
            "/admin/artists/band/suspend",
            &[("reason", "Impersonates a real band")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(public("/@band").await, 410);
    let overview = web.get("/admin").await;
    assert!(
        overview.body.contains("suspended since"),
        "{}",
        overview.body
    );
    assert!(overview.body.contains("/admin/artists/band/unsuspend"));
    let audit = web.get("/admin/audit").await;
    assert!(audit.body.contains("artist.suspend"));
    assert!(audit.body.contains("Impersonates a real band"));
    assert!(audit.body.contains("report.resolve"));

    let res = web
        .submit("/admin", "/admin/artists/band/unsuspend", &[])
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(public("/@band").await, 200);
    assert!(web
        .get("/admin")
        .await
        .body
        .contains("/admin/artists/band/suspend"));
}

/// Every new admin route, as (method, path).
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin/instance"),
    ("POST", "/admin/instance"),
    ("GET", "/admin/blocks"),
    ("POST", "/admin/blocks"),
    ("GET", "/admin/blocks/export.csv"),
    ("GET", "/admin/blocks/1"),
    ("POST", "/admin/blocks/1"),
    ("POST", "/admin/blocks/1/delete"),
    ("GET", "/admin/reports"),
    ("POST", "/admin/reports/1/resolve"),
    ("GET", "/admin/audit"),
    ("POST", "/admin/artists/band/suspend"),
    ("POST", "/admin/artists/band/unsuspend"),
    ("POST", "/admin/users/1/suspend"),
    ("POST", "/admin/users/1/unsuspend"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_screens_refuse_everyone_else_and_forms_without_csrf() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.artist_with_token("band").await;
    let mut boss = admin(&app).await;
    let block = [("domain", "spam.example"), ("severity", "suspend")];
    assert_eq!(
        boss.submit("/admin/blocks", "/admin/blocks", &block)
            .await
            .status,
        303
    );
    domain::accounts::create_user(app.db(), "ann", PASSWORD, false)
        .await
        .unwrap();
    let mut ann = WebClient::new(&app.url(""));
    ann.login("ann", PASSWORD).await;
    let ann_csrf = csrf_of(&ann.get("/dashboard").await.body);
    let mut nobody = WebClient::new(&app.url(""));

    for &(method, path) in ROUTES {
        let (as_ann, as_nobody) = if method == "GET" {
            (ann.get(path).await, nobody.get(path).await)
        } else {
            (
                ann.post(path, &[("csrf", &ann_csrf), ("domain", "x.example")])
                    .await,
                nobody.post(path, &[("domain", "x.example")]).await,
            )
        };
        assert_eq!(as_ann.status, 403, "{method} {path} as a non-admin");
        assert!(
            as_nobody.status == 403
                || (as_nobody.status == 303 && as_nobody.location.starts_with("/login")),
            "{method} {path} anonymous: {}",
            as_nobody.status
        );
    }
    let res = ann
        .post_multipart(
            "/admin/blocks/import",
            &[
                ("csrf", None, &ann_csrf),
                ("csv", None, "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\nx.example,suspend,false,false,,false\n"),
            ],
        )
        .await;
    assert_eq!(res.status, 403);

    // The admin's own forms without the token are refused, and change nothing.
    for &(_, path) in ROUTES.iter().filter(|(m, _)| *m == "POST") {
        let res = boss
            .post(
                path,
                &[
                    ("domain", "x.example"),
                    ("severity", "suspend"),
                    ("name", "Hijacked"),
                    ("registrations", "closed"),
                ],
            )
            .await;
        assert_eq!(res.status, 403, "{path} without CSRF");
    }
    assert_eq!(
        nodeinfo(&app).await["metadata"]["nodeName"],
        app.domain.as_str()
    );
    assert!(
        roadie::db::moderation::block_by_domain(app.db(), "spam.example")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        roadie::db::moderation::block_by_domain(app.db(), "x.example")
            .await
            .unwrap()
            .is_none()
    );
    assert!(!domain::moderation::artist_suspended(app.db(), "band")
        .await
        .unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_prunes_expired_sessions() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.limits.prune_interval = Duration::from_millis(100);
    })
    .await;
    let user = domain::accounts::create_user(app.db(), "ann", PASSWORD, false)
        .await
        .unwrap();
    let token = domain::accounts::start_session(app.db(), &user, Duration::from_millis(500))
        .await
        .unwrap();
    let hash = domain::artists::token_hash(&token);
    // Asked as of now, the row is there; once pruned it is gone even for that moment.
    let created = roadie::db::now();
    assert!(roadie::db::users::session(app.db(), &hash, created)
        .await
        .unwrap()
        .is_some());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let row = roadie::db::users::session(app.db(), &hash, created)
            .await
            .unwrap();
        if row.is_none() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the expired session was not pruned"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A suspended user is logged out at once and cannot log in; the admin cannot suspend
/// themselves; lifting the suspension lets the user back in.
async fn user_accounts_suspended_and_reinstated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut boss = admin(&app).await;
    let ann = domain::accounts::create_user(app.db(), "ann", PASSWORD, false)
        .await
        .expect("create ann");
    let boss_id = roadie::db::users::by_username(app.db(), "boss")
        .await
        .unwrap()
        .unwrap()
        .id;
    let mut ann_web = WebClient::new(&app.url(""));
    ann_web.login("ann", PASSWORD).await;
    assert_eq!(ann_web.get("/account").await.status, 200);

    let res = boss
        .submit(
            "/admin",
            &format!("/admin/users/{}/suspend", ann.id),
            &[("reason", "Shared the password")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let overview = boss.get("/admin").await;
    assert!(
        overview
            .body
            .contains(&format!("/admin/users/{}/unsuspend", ann.id)),
        "{}",
        overview.body
    );

    // The open session is gone at once, and a new log-in is refused with a clear message.
    let page = ann_web.get("/account").await;
    assert_ne!(page.status, 200, "a suspended user's session still works");
    let mut again = WebClient::new(&app.url(""));
    let res = again
        .submit(
            "/login",
            "/login",
            &[("username", "ann"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status, 403, "{}", res.body);
    assert!(res.body.contains("suspended"), "{}", res.body);
    assert!(!again.cookies.contains_key("roadie_session"));

    // No admin can lock the instance out by suspending themselves.
    let res = boss
        .submit(
            "/admin",
            &format!("/admin/users/{boss_id}/suspend"),
            &[("reason", "oops")],
        )
        .await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert_eq!(boss.get("/admin").await.status, 200);

    let audit = boss.get("/admin/audit").await;
    assert!(audit.body.contains("user.suspend"), "{}", audit.body);
    assert!(audit.body.contains("Shared the password"));

    let res = boss
        .submit("/admin", &format!("/admin/users/{}/unsuspend", ann.id), &[])
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let mut back = WebClient::new(&app.url(""));
    back.login("ann", PASSWORD).await;
    assert_eq!(back.get("/account").await.status, 200);
}
