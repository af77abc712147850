//! A minimal browser for the hosted pages: follows nothing by itself, keeps cookies, and
//! reads the CSRF token out of forms. Page tests drive it step by step.

use std::collections::HashMap;

use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::StatusCode;

pub struct Browser {
    pub base: String,
    client: reqwest::Client,
    pub cookies: HashMap<String, String>,
    /// The raw `Set-Cookie` headers of the last response.
    pub last_set_cookies: Vec<String>,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn location(&self) -> String {
        self.headers
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no Location ({}): {}", self.status, self.body))
    }

    pub fn csp(&self) -> String {
        self.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string()
    }

    /// The value of the first `csrf_token` hidden field.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no csrf token: {}", self.body))
            + marker.len();
        let end = self.body[start..].find('"').unwrap();
        self.body[start..start + end].to_string()
    }

    pub fn query(&self) -> HashMap<String, String> {
        let url = url::Url::parse(&self.location()).unwrap();
        url.query_pairs().into_owned().collect()
    }
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Browser {
            base: base.to_string(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
            last_set_cookies: Vec::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, resp: reqwest::Response) -> Resp {
        let status = resp.status();
        let headers = resp.headers().clone();
        self.last_set_cookies = headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        for c in &self.last_set_cookies {
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        let body = resp.text().await.unwrap();
        for h in ["x-frame-options", "cache-control"] {
            if !status.is_redirection()
                && headers
                    .get("content-type")
                    .is_some_and(|v| v.to_str().unwrap().starts_with("text/html"))
            {
                assert!(headers.get(h).is_some(), "{h} missing");
            }
        }
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        let resp = self
            .client
            .get(self.url(path))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(resp).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Resp {
        let resp = self
            .client
            .post(self.url(path))
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.finish(resp).await
    }

    /// GET `path`, then follow redirects that stay on this server; returns the last response.
    pub async fn follow(&mut self, path: &str) -> Resp {
        let mut r = self.get(path).await;
        while r.status == StatusCode::SEE_OTHER && r.location().starts_with('/') {
            let next = r.location();
            r = self.get(&next).await;
        }
        r
    }

    /// POST, then follow redirects that stay on this server.
    pub async fn submit(&mut self, path: &str, form: &[(&str, &str)]) -> Resp {
        let r = self.post(path, form).await;
        if r.status == StatusCode::SEE_OTHER && r.location().starts_with('/') {
            return self.follow(&r.location()).await;
        }
        r
    }
}
