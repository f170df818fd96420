//! The fan-out benchmark client (`make bench`, row "live_fanout"): opens many Server-Sent
//! Events streams on one article of a running server, waits until every one has its response
//! headers, posts one comment as a signed-in reader, and measures for each stream the time
//! from the post until it has received the `comment_posted` message. Prints one JSON object
//! on stdout: streams opened (and why any failed), the percentiles, how many got the message,
//! and, with `--rss-pid`, the server's resident memory before and after opening the streams.
//!
//! Plain HTTP/1.1 over tokio's `TcpStream` (chunked bodies decoded here), no HTTP client
//! crate. Every stream is a socket: raise `ulimit -n` above `--streams` for this process and
//! the server, and the server's limits on open streams (`live_streams_per_client`,
//! `live_streams_total`).
//!
//! Usage: `fanout --addr 127.0.0.1:PORT --slug SLUG --cookie 'besthub_session=…'
//! [--streams 5000] [--post-path /api/post_comment] [--rss-pid PID] [--timeout-secs 30]
//! [--open-concurrency 256]`

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch, Semaphore};

struct Args {
    addr: String,
    slug: String,
    cookie: String,
    streams: usize,
    post_path: String,
    rss_pid: Option<u32>,
    timeout: Duration,
    open_concurrency: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: String::new(),
        slug: String::new(),
        cookie: String::new(),
        streams: 5_000,
        post_path: "/api/post_comment".to_owned(),
        rss_pid: None,
        timeout: Duration::from_secs(30),
        open_concurrency: 256,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => args.addr = value()?,
            "--slug" => args.slug = value()?,
            "--cookie" => args.cookie = value()?,
            "--streams" => args.streams = value()?.parse().map_err(|e| format!("{flag}: {e}"))?,
            "--post-path" => args.post_path = value()?,
            "--rss-pid" => {
                args.rss_pid = Some(value()?.parse().map_err(|e| format!("{flag}: {e}"))?)
            }
            "--timeout-secs" => {
                args.timeout =
                    Duration::from_secs_f64(value()?.parse().map_err(|e| format!("{flag}: {e}"))?)
            }
            "--open-concurrency" => {
                args.open_concurrency = value()?.parse().map_err(|e| format!("{flag}: {e}"))?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.addr.is_empty() || args.slug.is_empty() || args.cookie.is_empty() {
        return Err("--addr, --slug and --cookie are required".to_owned());
    }
    Ok(args)
}

/// VmRSS of a process, in KiB.
fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Reads a response's head (status line and headers) from `s`: the status, whether the
/// body is chunked, and the bytes read past the head.
async fn read_head(s: &mut TcpStream) -> Result<(u16, bool, Vec<u8>), String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 16 * 1024 {
            return Err("response head over 16 KB".to_owned());
        }
        let n = s
            .read(&mut chunk)
            .await
            .map_err(|e| format!("read: {}", e.kind()))?;
        if n == 0 {
            return Err("closed before the response head".to_owned());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no status line")?;
    let chunked = head
        .lines()
        .any(|l| l.starts_with("transfer-encoding:") && l.contains("chunked"));
    Ok((status, chunked, buf[end + 4..].to_vec()))
}

/// A decoder of HTTP/1.1 chunked bodies, fed bytes as they arrive.
#[derive(Default)]
struct Dechunk {
    /// Data bytes left in the current chunk.
    left: usize,
    /// The size line being read (between chunks).
    line: Vec<u8>,
    /// CR LF bytes after a chunk's data still to skip.
    skip: usize,
}

impl Dechunk {
    fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        while !input.is_empty() {
            if self.skip > 0 {
                let n = self.skip.min(input.len());
                self.skip -= n;
                input = &input[n..];
            } else if self.left > 0 {
                let n = self.left.min(input.len());
                out.extend_from_slice(&input[..n]);
                self.left -= n;
                input = &input[n..];
                if self.left == 0 {
                    self.skip = 2;
                }
            } else {
                let b = input[0];
                input = &input[1..];
                if b == b'\n' {
                    let line = String::from_utf8_lossy(&self.line);
                    let size = line.trim().split(';').next().unwrap_or("");
                    self.left = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
                    self.line.clear();
                } else {
                    self.line.push(b);
                }
            }
        }
    }
}

/// Whether one Server-Sent Events message (its lines, without the blank line) is a
/// `comment_posted` event.
fn is_comment_posted(message: &[u8]) -> bool {
    let text = String::from_utf8_lossy(message);
    let data: String = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|d| d.strip_prefix(' ').unwrap_or(d))
        .collect::<Vec<_>>()
        .join("\n");
    serde_json::from_str::<serde_json::Value>(&data)
        .ok()
        .is_some_and(|v| v["type"] == "comment_posted")
}

enum Report {
    Opened,
    Failed(String),
    /// Milliseconds from the post to the `comment_posted` message.
    Received(f64),
}

/// One stream: opens it, reports, then reads until the `comment_posted` message that follows
/// the post (at `posted`), reports its delay, and holds the connection open until `done`.
async fn stream(
    addr: Arc<str>,
    path: Arc<str>,
    gate: Arc<Semaphore>,
    posted: Arc<OnceLock<Instant>>,
    reports: mpsc::UnboundedSender<Report>,
    mut done: watch::Receiver<bool>,
) {
    let opened = async {
        let _permit = gate.acquire().await.map_err(|e| e.to_string())?;
        let mut s = TcpStream::connect(&*addr)
            .await
            .map_err(|e| format!("connect: {}", e.kind()))?;
        s.set_nodelay(true).ok();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\
             Cache-Control: no-cache\r\n\r\n"
        );
        s.write_all(request.as_bytes())
            .await
            .map_err(|e| format!("write: {}", e.kind()))?;
        let (status, chunked, rest) = read_head(&mut s).await?;
        if status != 200 {
            return Err(format!("status {status}"));
        }
        Ok::<_, String>((s, chunked, rest))
    };
    let (mut s, chunked, rest) = match tokio::time::timeout(Duration::from_secs(60), opened).await {
        Ok(Ok(opened)) => opened,
        Ok(Err(why)) => {
            let _ = reports.send(Report::Failed(why));
            return;
        }
        Err(_) => {
            let _ = reports.send(Report::Failed("no response head within 60 s".to_owned()));
            return;
        }
    };
    let _ = reports.send(Report::Opened);
    let mut dechunk = chunked.then(Dechunk::default);
    let mut text = Vec::with_capacity(512);
    let mut feed = |bytes: &[u8], text: &mut Vec<u8>| match dechunk.as_mut() {
        Some(d) => d.feed(bytes, text),
        None => text.extend_from_slice(bytes),
    };
    feed(&rest, &mut text);
    let mut buf = vec![0u8; 2048];
    'read: loop {
        // Every complete message in `text` (messages end with a blank line).
        while let Some(end) = text.windows(2).position(|w| w == b"\n\n") {
            let message: Vec<u8> = text.drain(..end + 2).filter(|&b| b != b'\r').collect();
            if let Some(at) = posted.get() {
                if is_comment_posted(&message) {
                    let ms = at.elapsed().as_secs_f64() * 1000.0;
                    let _ = reports.send(Report::Received(ms));
                    break 'read;
                }
            }
        }
        tokio::select! {
            read = s.read(&mut buf) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    let mut chunk = std::mem::take(&mut text);
                    feed(&buf[..n], &mut chunk);
                    // CR LF line ends count as LF ones.
                    if chunk.contains(&b'\r') {
                        chunk = String::from_utf8_lossy(&chunk).replace("\r\n", "\n").into_bytes();
                    }
                    text = chunk;
                }
            },
            _ = done.changed() => return,
        }
    }
    // Holds the stream open until the end, as a reader's page would.
    let _ = done.changed().await;
    drop(s);
}

/// Posts one comment; returns the answer's status.
async fn post(args: &Args) -> Result<u16, String> {
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let body = format!(
        "slug={}&body=Fan-out+benchmark+comment+{stamp}.",
        args.slug.replace('%', "%25").replace('&', "%26")
    );
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nCookie: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        args.post_path,
        args.cookie,
        body.len(),
        addr = args.addr,
    );
    let mut s = TcpStream::connect(&args.addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    s.write_all(request.as_bytes())
        .await
        .map_err(|e| format!("write: {e}"))?;
    let (status, _, _) = read_head(&mut s).await?;
    Ok(status)
}

/// The `p`th percentile (nearest rank) of sorted values.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(why) => {
            eprintln!("fanout: {why}");
            std::process::exit(2);
        }
    };
    let rss_before = args.rss_pid.and_then(rss_kb);
    let addr: Arc<str> = args.addr.clone().into();
    let path: Arc<str> = format!("/articles/{}/events", args.slug).into();
    let gate = Arc::new(Semaphore::new(args.open_concurrency.max(1)));
    let posted = Arc::new(OnceLock::new());
    let (reports, mut rx) = mpsc::unbounded_channel();
    let (done_tx, done_rx) = watch::channel(false);

    let open_started = Instant::now();
    let mut tasks = Vec::with_capacity(args.streams);
    for _ in 0..args.streams {
        tasks.push(tokio::spawn(stream(
            addr.clone(),
            path.clone(),
            gate.clone(),
            posted.clone(),
            reports.clone(),
            done_rx.clone(),
        )));
    }
    drop(reports);

    // Until every stream has its response head (or failed).
    let mut opened = 0usize;
    let mut failed: BTreeMap<String, usize> = BTreeMap::new();
    let mut latencies = Vec::with_capacity(args.streams);
    while opened + failed.values().sum::<usize>() < args.streams {
        match rx.recv().await {
            Some(Report::Opened) => opened += 1,
            Some(Report::Failed(why)) => *failed.entry(why).or_default() += 1,
            Some(Report::Received(ms)) => latencies.push(ms),
            None => break,
        }
    }
    let open_s = open_started.elapsed().as_secs_f64();
    eprintln!("fanout: {opened} streams open in {open_s:.1} s, {failed:?} failed");
    // Lets the server settle (allocations of the last streams) before reading its memory.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = args.rss_pid.and_then(rss_kb);

    let post_started = Instant::now();
    posted.set(post_started).ok();
    let post_status = post(&args).await;
    let post_ms = post_started.elapsed().as_secs_f64() * 1000.0;
    eprintln!("fanout: comment posted ({post_status:?}, {post_ms:.1} ms)");

    if matches!(post_status, Ok(s) if s < 400) {
        let deadline = tokio::time::Instant::now() + args.timeout;
        while latencies.len() < opened {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(Report::Received(ms))) => latencies.push(ms),
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
    }
    let _ = done_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }

    latencies.sort_by(f64::total_cmp);
    let kb_per_stream = match (rss_before, rss_after) {
        (Some(b), Some(a)) if opened > 0 => Some(round2((a as f64 - b as f64) / opened as f64)),
        _ => None,
    };
    let out = serde_json::json!({
        "streams": args.streams,
        "opened": opened,
        "open_failed": failed,
        "open_s": round2(open_s),
        "post": {
            "status": post_status.as_ref().ok(),
            "error": post_status.as_ref().err(),
            "ms": round2(post_ms),
        },
        "received": latencies.len(),
        "p50_ms": percentile(&latencies, 50.0).map(round2),
        "p99_ms": percentile(&latencies, 99.0).map(round2),
        "max_ms": latencies.last().copied().map(round2),
        "min_ms": latencies.first().copied().map(round2),
        "rss_kb": {"before": rss_before, "after": rss_after},
        "kb_per_stream": kb_per_stream,
    });
    println!("{out}");
}
