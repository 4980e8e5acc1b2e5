//! A minimal cookie-keeping HTTP client for the web interface: follows no redirects, so tests
//! see each 303, and reads CSRF tokens from the pages.

use std::collections::HashMap;

/// A browser without JavaScript: cookies and forms.
pub struct WebClient {
    http: reqwest::Client,
    base: String,
    pub cookies: HashMap<String, String>,
}

/// A response's status, `Location` and body.
pub struct Page {
    pub status: u16,
    pub location: String,
    pub body: String,
}

impl WebClient {
    pub fn new(base: &str) -> WebClient {
        WebClient {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: base.trim_end_matches('/').to_owned(),
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, res: reqwest::Response) -> Page {
        for value in res.headers().get_all("set-cookie") {
            let text = value.to_str().expect("cookie text");
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                if v.is_empty() || text.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        Page {
            status: res.status().as_u16(),
            location: res
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            body: res.text().await.unwrap_or_default(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("GET");
        self.finish(res).await
    }

    /// POSTs a url-encoded form as given (add `csrf` yourself, or leave it out on purpose).
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(form).expect("form"))
            .send()
            .await
            .expect("POST");
        self.finish(res).await
    }

    /// POSTs a multipart form of `(name, file name, text)` parts, in order; a part with a file
    /// name is sent as an uploaded file.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        parts: &[(&str, Option<&str>, &str)],
    ) -> Page {
        let boundary = "RoadieTestBoundary7";
        let mut body = String::new();
        for (name, file, text) in parts {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\""
            ));
            if let Some(file) = file {
                body.push_str(&format!("; filename=\"{file}\"\r\nContent-Type: text/csv"));
            }
            body.push_str(&format!("\r\n\r\n{text}\r\n"));
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .expect("POST");
        self.finish(res).await
    }

    /// GETs `page_path`, reads its CSRF token and POSTs `form` with it to `action`.
    pub async fn submit(&mut self, page_path: &str, action: &str, form: &[(&str, &str)]) -> Page {
        let page = self.get(page_path).await;
        assert_eq!(page.status, 200, "GET {page_path}: {}", page.body);
        let csrf = csrf_of(&page.body);
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(form);
        self.post(action, &fields).await
    }

    /// Logs in; panics unless it worked.
    pub async fn login(&mut self, username: &str, password: &str) {
        let page = self
            .submit(
                "/login",
                "/login",
                &[
                    ("username", username),
                    ("password", password),
                    ("next", "/dashboard"),
                ],
            )
            .await;
        assert_eq!(page.status, 303, "log-in failed: {}", page.body);
        assert!(self.cookies.contains_key("roadie_session"));
    }
}

/// The value of the first `csrf` hidden field of a page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("page has a CSRF field") + marker.len();
    let end = html[start..].find('"').expect("end of value") + start;
    html[start..end].to_owned()
}
