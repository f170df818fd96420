//! The real server binary as a child process, and a small HTTP/1.1 client to talk to it:
//! for tests that kill, restart or measure the server itself (crash safety, memory).
//!
//! The binary is `BESTHUB_SERVER_BIN` when set (`make unit` sets the release build), else the
//! one Cargo built for this test run (`CARGO_BIN_EXE_besthub`, which needs the `ssr` feature,
//! as every server test does). It reads the project's `Leptos.toml`
//! and the `BESTHUB_*` variables given here; Leptos's options come from `LEPTOS_*` variables,
//! as `cargo leptos` and the Makefile set them.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Longest wait for a started server to answer `/healthz` with "ok".
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest wait for one HTTP exchange.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `besthub serve`, killed when dropped.
pub struct ServerProcess {
    child: Option<Child>,
    addr: SocketAddr,
    database_url: String,
    env: Vec<(String, String)>,
    dir: tempfile::TempDir,
    starts: u32,
}

impl ServerProcess {
    /// Starts the server on `database_url` with the extra `BESTHUB_*` (or other) variables
    /// `env`, on a free port, and waits until `/healthz` says "ok". Rate limits on comments
    /// and sign-ups are lifted unless `env` sets them.
    pub async fn start(database_url: &str, env: &[(&str, &str)]) -> Self {
        let mut server = Self {
            child: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.to_owned(),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            dir: tempfile::tempdir().expect("temp dir for the server's log and site"),
            starts: 0,
        };
        server.spawn().await;
        server
    }

    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The origin browsers send with same-site requests (`http://127.0.0.1:PORT`).
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// A client for this server (one keep-alive connection, opened on first use).
    pub fn client(&self) -> HttpClient {
        HttpClient::new(self.addr, self.origin())
    }

    /// The server's resident memory (`VmRSS` of /proc/PID/status), in KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        rss_kib(self.pid()?)
    }

    /// Kills the server with SIGKILL (no chance to finish anything) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // `Child::kill` is SIGKILL on Unix.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same database (on a new free port) and waits until
    /// it is ready. Kills it first if it still runs.
    pub async fn restart(&mut self) {
        self.kill();
        self.spawn().await;
    }

    /// The last lines the server logged (every start appends to the same log).
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    async fn spawn(&mut self) {
        self.addr = free_addr();
        self.starts += 1;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("server log");
        let manifest = env!("CARGO_MANIFEST_DIR");
        // `make unit` points this at the release binary, so memory and crash figures are the
        // ones production would show; a plain `cargo test` runs its own debug build.
        let binary = std::env::var_os("BESTHUB_SERVER_BIN").map_or_else(
            || PathBuf::from(env!("CARGO_BIN_EXE_besthub")),
            PathBuf::from,
        );
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .current_dir(self.dir.path())
            .env("BESTHUB_CONFIG", format!("{manifest}/Leptos.toml"))
            .env("BESTHUB_DATABASE_URL", &self.database_url)
            .env("BESTHUB_LISTEN", self.addr.to_string())
            .env("BESTHUB_PUBLIC_URL", format!("http://{}", self.addr))
            .env("BESTHUB_LOG_FILTER", "warn")
            .env("BESTHUB_COMMENTS_PER_MINUTE", "1000000000")
            .env("BESTHUB_SIGNUPS_PER_HOUR", "1000000")
            .env("LEPTOS_OUTPUT_NAME", "besthub")
            .env("LEPTOS_SITE_ROOT", self.dir.path().join("site"))
            .env("LEPTOS_SITE_PKG_DIR", "pkg")
            .env("LEPTOS_ENV", "PROD")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log);
        let child = command.spawn().expect("start the besthub binary");
        self.child = Some(child);
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut client = self.client();
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!(
                        "besthub exited with {status} at start {}:\n{}",
                        self.starts,
                        self.log_tail(30)
                    );
                }
            }
            match client.get("/healthz").await {
                Ok(reply) if reply.status == 200 && reply.text() == "ok" => return,
                Ok(_) | Err(_) => {}
            }
            if Instant::now() > deadline {
                panic!(
                    "besthub not ready after {READY_TIMEOUT:?} (start {}):\n{}",
                    self.starts,
                    self.log_tail(30)
                );
            }
            client.disconnect();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A free port on the loopback address (free when asked; the server binds it right after).
pub fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address")
}

/// The resident memory of process `pid` (`VmRSS` of /proc/PID/status), in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// One HTTP response.
#[derive(Debug, Clone)]
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// Headers, names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    /// Body (after undoing chunked transfer encoding; content encodings are left alone).
    pub body: Vec<u8>,
}

impl HttpReply {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value the response sets for cookie `name`, if any.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .find_map(|(_, c)| {
                let (pair, _) = c.split_once(';').unwrap_or((c, ""));
                let (n, v) = pair.split_once('=')?;
                (n == name).then(|| v.to_owned())
            })
    }

    /// The body parsed as JSON into `T`.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

/// A minimal HTTP/1.1 client over one keep-alive TCP connection (reopened when the server
/// closes it). No TLS, no redirects, no decompression: it sees what the server sends.
pub struct HttpClient {
    addr: SocketAddr,
    origin: String,
    session: Option<String>,
    conn: Option<BufReader<TcpStream>>,
}

impl HttpClient {
    /// A client for the server at `addr` whose pages are at `origin`.
    pub fn new(addr: SocketAddr, origin: String) -> Self {
        Self {
            addr,
            origin,
            session: None,
            conn: None,
        }
    }

    /// Sends the `besthub_session` cookie `token` with every request from now on.
    pub fn with_session(mut self, token: &str) -> Self {
        self.session = Some(token.to_owned());
        self
    }

    /// Closes the connection (the next request opens a new one).
    pub fn disconnect(&mut self) {
        self.conn = None;
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> io::Result<HttpReply> {
        self.request("GET", path, &[], None).await
    }

    /// Calls a server function the way the hydrated page does: a same-origin form POST
    /// asking for JSON.
    pub async fn call(&mut self, path: &str, form: &[(&str, &str)]) -> io::Result<HttpReply> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let origin = self.origin.clone();
        self.request(
            "POST",
            path,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Accept", "application/json"),
                ("Origin", &origin),
            ],
            Some(body.as_bytes()),
        )
        .await
    }

    /// One request; an error means no complete answer was read (the connection is closed).
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> io::Result<HttpReply> {
        let result =
            tokio::time::timeout(EXCHANGE_TIMEOUT, self.exchange(method, path, headers, body))
                .await
                .unwrap_or_else(|_| Err(io::Error::new(io::ErrorKind::TimedOut, "no answer")));
        if result.is_err() {
            self.conn = None;
        }
        result
    }

    async fn exchange(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> io::Result<HttpReply> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(token) = &self.session {
            head.push_str(&format!("Cookie: besthub_session={token}\r\n"));
        }
        if let Some(body) = body {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => {
                let stream = TcpStream::connect(self.addr).await?;
                stream.set_nodelay(true)?;
                self.conn.insert(BufReader::new(stream))
            }
        };
        let mut request = head.into_bytes();
        request.extend_from_slice(body.unwrap_or_default());
        conn.get_mut().write_all(&request).await?;
        let (reply, reusable) = read_reply(conn, method == "HEAD").await?;
        let close = reply
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        if close || !reusable {
            self.conn = None;
        }
        Ok(reply)
    }
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

async fn read_line(conn: &mut BufReader<TcpStream>) -> io::Result<String> {
    let mut line = String::new();
    if conn.read_line(&mut line).await? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed",
        ));
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Reads one response; the flag says whether the connection can carry another request (not
/// when the body ran to the end of the connection).
async fn read_reply(
    conn: &mut BufReader<TcpStream>,
    head_only: bool,
) -> io::Result<(HttpReply, bool)> {
    let status_line = read_line(conn).await?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("status line"))?;
    let mut headers = Vec::new();
    loop {
        let line = read_line(conn).await?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').ok_or_else(|| bad("header line"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let mut body = Vec::new();
    let mut reusable = true;
    let no_body = head_only || status == 204 || status == 304 || (100..200).contains(&status);
    if no_body {
    } else if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let size_line = read_line(conn).await?;
            let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| bad("chunk size"))?;
            if size == 0 {
                // Trailers, if any, end with an empty line.
                while !read_line(conn).await?.is_empty() {}
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            conn.read_exact(&mut body[start..]).await?;
            read_line(conn).await?;
        }
    } else if let Some(length) = find("content-length") {
        let length: usize = length.parse().map_err(|_| bad("content-length"))?;
        body.resize(length, 0);
        conn.read_exact(&mut body).await?;
    } else {
        conn.read_to_end(&mut body).await?;
        reusable = false;
    }
    Ok((
        HttpReply {
            status,
            headers,
            body,
        },
        reusable,
    ))
}
