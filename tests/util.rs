//! The test harness: a fresh database per test (a temporary SQLite file, or a
//! new PostgreSQL database when `TEST_DATABASE_URL` is set), the app built
//! exactly as `serve` builds it, and a small client with a cookie jar.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::test;
use diesel::prelude::*;
use village_portal::access::Actor;
use village_portal::audit::Entry;
use village_portal::config::Config;
use village_portal::db::schema::{audit_log, households, places, users};
use village_portal::db::{Database, DbConn};
use village_portal::households::Household;
use village_portal::users::User;
use village_portal::AppState;

pub const DEMO_PASSWORD: &str = "demo-password-1234";

/// Where the test's database lives; dropping it removes the database.
pub enum TestDb {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    #[cfg(feature = "postgres")]
    Postgres {
        server_url: String,
        name: String,
    },
}

impl Drop for TestDb {
    fn drop(&mut self) {
        #[cfg(feature = "postgres")]
        if let TestDb::Postgres { server_url, name } = self {
            use diesel::{Connection, RunQueryDsl};
            if let Ok(mut c) = diesel::PgConnection::establish(server_url) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut c);
            }
        }
    }
}

/// True when the tests run against PostgreSQL.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty())
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A database URL for one test and the guard that removes it.
pub fn fresh_database() -> (String, TestDb) {
    let Some(server_url) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("portal.db").display());
        return (url, TestDb::Sqlite(dir));
    };
    #[cfg(feature = "postgres")]
    {
        use diesel::{Connection, RunQueryDsl};
        let name = format!(
            "vp_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            village_portal::crypto::random_hex(4)
        );
        let mut c = diesel::PgConnection::establish(&server_url).unwrap_or_else(|e| {
            panic!("TEST_DATABASE_URL is set but PostgreSQL does not answer: {e}")
        });
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut c)
            .expect("create test database");
        // Same server, the new database: replace the path of the URL.
        let mut url = url::Url::parse(&server_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&name);
        let url = url.to_string();
        (url, TestDb::Postgres { server_url, name })
    }
    #[cfg(not(feature = "postgres"))]
    {
        let _ = (server_url, &COUNTER, Ordering::SeqCst);
        panic!("TEST_DATABASE_URL is set, but this test build has no PostgreSQL support: run `cargo test --features postgres`");
    }
}

/// A connection from `TestApp::conn`.
pub struct Arranged {
    conn: village_portal::db::PooledConn,
    cache: std::sync::Arc<village_portal::web::tv::cache::TvCache>,
}

impl std::ops::Deref for Arranged {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for Arranged {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

impl Drop for Arranged {
    fn drop(&mut self) {
        let _ = village_portal::changes::touch_all(&mut self.conn);
        self.cache.mark_dirty();
    }
}

pub struct TestApp {
    pub state: AppState,
    pub database_url: String,
    _db: TestDb,
}

pub struct Builder {
    config: Config,
    demo: bool,
}

impl Builder {
    pub fn config(mut self, f: impl FnOnce(&mut Config)) -> Self {
        f(&mut self.config);
        self
    }

    /// Load the demo county (password `DEMO_PASSWORD`).
    pub fn demo(mut self) -> Self {
        self.demo = true;
        self
    }

    pub fn build(self) -> TestApp {
        let (url, guard) = fresh_database();
        let mut config = self.config;
        config.database_url = url.clone();
        config.demo_password = Some(DEMO_PASSWORD.into());
        let db = Database::open(&url, config.db_pool_size).expect("open test database");
        if self.demo {
            let mut conn = db.get().expect("connection");
            let offset = config.offset().expect("offset");
            village_portal::demo::load(&mut conn, Some(DEMO_PASSWORD), offset).expect("demo loads");
        }
        let state = AppState::with_db(config, db).expect("app state");
        TestApp {
            state,
            database_url: url,
            _db: guard,
        }
    }
}

impl TestApp {
    pub fn builder() -> Builder {
        Builder {
            config: Config {
                db_pool_size: 4,
                ..Config::default()
            },
            demo: false,
        }
    }

    /// The demo county on a fresh database: the usual starting point.
    pub fn demo() -> TestApp {
        TestApp::builder().demo().build()
    }

    /// A connection for looking at (or arranging) the stored data directly.
    /// Arranging data behind the app's back is a change like an audited
    /// write: when the connection is dropped, the TV page cache is told.
    pub fn conn(&self) -> Arranged {
        Arranged {
            conn: self.state.db.get().expect("connection"),
            cache: self.state.tv_cache.clone(),
        }
    }

    pub async fn client(
        &self,
    ) -> Client<
        impl Service<
            actix_http::Request,
            Response = ServiceResponse<impl MessageBody>,
            Error = actix_web::Error,
        >,
    > {
        client_of(&self.state).await
    }
}

/// A client of an app built on `state` (a second instance, say).
pub async fn client_of(
    state: &AppState,
) -> Client<
    impl Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
    >,
> {
    Client {
        svc: Rc::new(test::init_service(village_portal::app(state.clone())).await),
        cookies: HashMap::new(),
        peer: "10.0.0.1:5000".parse().expect("addr"),
    }
}

/// Looking at (and arranging) the stored data directly.
impl TestApp {
    pub fn place_id(&self, code: &str) -> i64 {
        places::table
            .filter(places::code.eq(code))
            .select(places::id)
            .first(&mut *self.conn())
            .unwrap_or_else(|e| panic!("no place {code}: {e}"))
    }

    pub fn user(&self, username: &str) -> User {
        users::table
            .filter(users::username.eq(username))
            .select(User::as_select())
            .first(&mut *self.conn())
            .unwrap_or_else(|e| panic!("no user {username}: {e}"))
    }

    pub fn user_exists(&self, username: &str) -> bool {
        let n: i64 = users::table
            .filter(users::username.eq(username))
            .count()
            .get_result(&mut *self.conn())
            .expect("count users");
        n > 0
    }

    pub fn household(&self, stb_id: &str) -> Household {
        households::table
            .filter(households::stb_id.eq(stb_id))
            .select(Household::as_select())
            .first(&mut *self.conn())
            .unwrap_or_else(|e| panic!("no household {stb_id}: {e}"))
    }

    /// Audit entries with this action, oldest first.
    pub fn audit(&self, action: &str) -> Vec<Entry> {
        audit_log::table
            .filter(audit_log::action.eq(action))
            .order(audit_log::id)
            .select(Entry::as_select())
            .load(&mut *self.conn())
            .expect("audit entries")
    }

    /// The county's admin as the command line acts (for arranging data).
    pub fn system_actor(&self) -> Actor {
        let mut conn = self.conn();
        let county = village_portal::places::find_by_code(&mut conn, "dongying")
            .expect("query")
            .expect("the demo county");
        let scope = village_portal::places::scope(&mut conn, &county).expect("scope");
        Actor::system("tester", scope)
    }

    /// Everything the back office can change, to show that a refused
    /// request changed nothing.
    pub fn snapshot(&self) -> Snapshot {
        let mut conn = self.conn();
        let c = &mut *conn;
        Snapshot {
            places: places::table
                .order(places::id)
                .select((places::id, places::code, places::name, places::parent_id))
                .load(c)
                .expect("places"),
            users: users::table
                .order(users::id)
                .select((
                    users::username,
                    users::display_name,
                    users::role,
                    users::place_id,
                    users::password_hash,
                    users::disabled,
                    users::session_version,
                ))
                .load(c)
                .expect("users"),
            households: households::table
                .order(households::id)
                .select((
                    households::village_id,
                    households::stb_id,
                    households::number,
                    households::pin_hash,
                ))
                .load(c)
                .expect("households"),
            audit_entries: audit_log::table.count().get_result(c).expect("audit count"),
        }
    }
}

type UserRow = (String, String, String, i64, String, bool, i32);

#[derive(Debug, PartialEq)]
pub struct Snapshot {
    places: Vec<(i64, String, String, Option<i64>)>,
    users: Vec<UserRow>,
    households: Vec<(i64, String, String, String)>,
    audit_entries: i64,
}

/// A response, read whole.
pub struct Resp {
    pub status: u16,
    pub headers: header::HeaderMap,
    pub body: String,
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The `Set-Cookie` header this response sent for `name`.
    pub fn set_cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .get_all(header::SET_COOKIE)
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
    }

    /// The messages shown beside form fields (`<span class="error">`).
    pub fn field_errors(&self) -> Vec<&str> {
        self.body
            .split("<span class=\"error\">")
            .skip(1)
            .filter_map(|rest| rest.split("</span>").next())
            .collect()
    }

    /// A 400 form page with a message beside a field containing `text`.
    #[track_caller]
    pub fn assert_field_error(&self, text: &str) -> &Self {
        self.assert_status(400);
        assert!(
            self.field_errors().iter().any(|e| e.contains(text)),
            "expected a field error containing {text:?}, got {:?} in:\n{}",
            self.field_errors(),
            self.body
        );
        self
    }

    /// Not a server error (any answer below 500).
    #[track_caller]
    pub fn assert_not_server_error(&self) -> &Self {
        assert!(
            self.status < 500,
            "server error {}:\n{}",
            self.status,
            self.body
        );
        self
    }

    /// The value of the first hidden `csrf_token` field on the page.
    pub fn csrf(&self) -> Option<String> {
        let at =
            self.body.find("name=\"csrf_token\" value=\"")? + "name=\"csrf_token\" value=\"".len();
        let end = self.body[at..].find('"')?;
        Some(self.body[at..at + end].to_string())
    }

    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body:\n{}",
            self.body
        );
        self
    }

    /// `<wbr>` (the line-break opportunities TV pages carry for engines
    /// without CJK line breaking) shows nothing, so it is looked through.
    #[track_caller]
    pub fn assert_contains(&self, text: &str) -> &Self {
        assert!(
            self.body.contains(text) || self.body.replace("<wbr>", "").contains(text),
            "expected {text:?} in:\n{}",
            self.body
        );
        self
    }
}

/// The app as `TestApp::client()` serves it, for helpers taking a `&mut Client<impl AppService>`.
pub trait AppService:
    Service<actix_http::Request, Response = ServiceResponse<Self::Body>, Error = actix_web::Error>
{
    type Body: MessageBody;
}

impl<S, B> AppService for S
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    type Body = B;
}

/// Talks to the in-process app like a browser: keeps cookies, sends forms.
pub struct Client<S> {
    /// Shared with requests sent as tasks of their own (`get_together`).
    svc: Rc<S>,
    cookies: HashMap<String, String>,
    peer: std::net::SocketAddr,
}

impl<S, B> Client<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    /// Pretend to come from another address (for per-address throttling).
    pub fn set_peer(&mut self, addr: &str) {
        self.peer = addr.parse().expect("socket address");
    }

    /// Sends this cookie from now on, as a browser holding it would.
    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_string(), value.to_string());
    }

    pub fn forget_cookies(&mut self) {
        self.cookies.clear();
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    pub async fn send(&mut self, req: test::TestRequest) -> Resp {
        let mut req = req.peer_addr(self.peer);
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.insert_header((header::COOKIE, jar.join("; ")));
        }
        let res = test::call_service(&*self.svc, req.to_request()).await;
        for c in res.response().cookies() {
            let expired =
                c.max_age().is_some_and(|a| a.is_zero() || a.is_negative()) || c.value().is_empty();
            if expired {
                self.cookies.remove(c.name());
            } else {
                self.cookies
                    .insert(c.name().to_string(), c.value().to_string());
            }
        }
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = test::read_body(res).await.to_vec();
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    /// Sends a GET of each path at once, each as a task of its own like
    /// the requests of separate boxes, without cookies; answers their
    /// statuses and bodies in order.
    pub async fn get_together(&self, paths: &[&str]) -> Vec<(u16, String)>
    where
        S: 'static,
        B: 'static,
    {
        let tasks: Vec<_> = paths
            .iter()
            .map(|path| {
                let svc = self.svc.clone();
                let req = test::TestRequest::get()
                    .uri(path)
                    .peer_addr(self.peer)
                    .to_request();
                actix_web::rt::spawn(async move {
                    let res = test::call_service(&*svc, req).await;
                    let status = res.status().as_u16();
                    let body = test::read_body(res).await;
                    (status, String::from_utf8_lossy(&body).into_owned())
                })
            })
            .collect();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.expect("request task"));
        }
        answers
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        self.send(test::TestRequest::get().uri(path)).await
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body = serde_urlencoded::to_string(fields).expect("form");
        self.send(
            test::TestRequest::post()
                .uri(path)
                .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
                .set_payload(body),
        )
        .await
    }

    /// Posts a `multipart/form-data` body built by hand: text `fields`, then
    /// `files` as (field, file name, content type, bytes).
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &str, &[u8])],
    ) -> Resp {
        let (content_type, body) = multipart_body(fields, files);
        self.send(
            test::TestRequest::post()
                .uri(path)
                .insert_header((header::CONTENT_TYPE, content_type))
                .set_payload(body),
        )
        .await
    }

    /// Posts a form with the CSRF token of the page at `form_page`.
    pub async fn submit(&mut self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Resp {
        let page = self.get(form_page).await;
        let token = page.csrf().unwrap_or_else(|| {
            panic!(
                "no csrf_token on {form_page} ({}):\n{}",
                page.status, page.body
            )
        });
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_form(action, &all).await
    }

    /// Posts a form with this session's CSRF token, taken from the dashboard
    /// (for actions whose form page the user may not even open).
    pub async fn post_signed(&mut self, action: &str, fields: &[(&str, &str)]) -> Resp {
        self.submit("/admin", action, fields).await
    }

    /// Signs in through the real form; returns the answer to the POST.
    pub async fn login(&mut self, username: &str, password: &str) -> Resp {
        self.submit(
            "/admin/login",
            "/admin/login",
            &[("username", username), ("password", password)],
        )
        .await
    }

    /// Signs in as a demo user and checks it worked.
    pub async fn login_as(&mut self, username: &str) {
        let res = self.login(username, DEMO_PASSWORD).await;
        assert_eq!(
            res.status, 303,
            "sign-in as {username} failed:\n{}",
            res.body
        );
        assert_eq!(res.location(), Some("/admin"));
    }
}

/// A `multipart/form-data` body as a browser sends it, with its content type.
pub fn multipart_body(
    fields: &[(&str, &str)],
    files: &[(&str, &str, &str, &[u8])],
) -> (String, Vec<u8>) {
    const BOUNDARY: &str = "----vp-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, file_name, content_type, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}
