//! A minimal W3C WebDriver client over std `TcpStream` (HTTP/1.1, one request per connection),
//! enough to drive the app's real window through WebKitWebDriver: sessions, elements, clicks,
//! typing, scripts, window size and screenshots.

use base64::Engine as _;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long an element may take to appear or a condition to hold: far above any honest delay
/// on a loaded 2-core machine (bookkeepers, a debug build, Xvfb); polling ends as soon as it holds.
pub const PATIENCE: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(100);

fn request(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(180))).ok();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).map_err(|e| e.to_string())?;
    s.write_all(body.as_bytes()).map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("malformed HTTP answer: {text}"))?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let v: Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
    if status != 200 {
        return Err(format!("{method} {path} → {status}: {}", v["value"]));
    }
    Ok(v["value"].clone())
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

/// A WebDriver session: one run of the app.
pub struct Session {
    port: u16,
    id: String,
}

impl Session {
    /// Starts `binary args…` under the driver on `port`, retrying while the driver starts up.
    pub fn start(port: u16, binary: &Path, args: &[String]) -> Session {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "webkitgtk:browserOptions": {"binary": binary, "args": args}
        }}});
        let deadline = Instant::now() + PATIENCE;
        loop {
            match request(port, "POST", "/session", Some(&caps)) {
                Ok(v) => {
                    let id = v["sessionId"].as_str().expect("session id").to_owned();
                    let session = Session { port, id };
                    // Asynchronous scripts (the scan-loop measurement) may take a while.
                    let _ = session.call("POST", "/timeouts", Some(json!({"script": 300_000})));
                    return session;
                }
                Err(e) if Instant::now() < deadline => {
                    eprintln!("webdriver: waiting for a session ({e})");
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(e) => panic!("no WebDriver session: {e}"),
            }
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        request(
            self.port,
            method,
            &format!("/session/{}{path}", self.id),
            body.as_ref(),
        )
    }

    /// Elements matching a CSS selector, now.
    pub fn find_all(&self, css: &str) -> Vec<String> {
        self.call(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        )
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|e| {
            e.as_object()
                .and_then(|o| o.values().next())
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        })
        .collect()
    }

    /// Waits for an element matching `css`.
    pub fn wait(&self, css: &str) -> String {
        self.wait_until(&format!("an element {css}"), || {
            self.find_all(css).into_iter().next()
        })
    }

    /// Polls `f` until it returns `Some`, up to [`PATIENCE`].
    pub fn wait_until<T>(&self, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(v) = f() {
                return v;
            }
            if Instant::now() > deadline {
                let body = self.text_of("body").unwrap_or_default();
                panic!("timed out waiting for {what}; the page says:\n{body}");
            }
            std::thread::sleep(POLL);
        }
    }

    pub fn click(&self, css: &str) {
        let e = self.wait(css);
        self.call("POST", &format!("/element/{e}/click"), Some(json!({})))
            .unwrap_or_else(|err| panic!("click {css}: {err}"));
    }

    /// Types `text` into the element `css` (after clearing it).
    pub fn type_into(&self, css: &str, text: &str) {
        let e = self.wait(css);
        let _ = self.call("POST", &format!("/element/{e}/clear"), Some(json!({})));
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({"text": text})),
        )
        .unwrap_or_else(|err| panic!("type into {css}: {err}"));
    }

    /// The visible text of the first element matching `css`, if there is one.
    pub fn text_of(&self, css: &str) -> Option<String> {
        let e = self.find_all(css).into_iter().next()?;
        self.call("GET", &format!("/element/{e}/text"), None)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
    }

    /// Waits until the text of `css` contains `needle`, and returns it.
    pub fn wait_text(&self, css: &str, needle: &str) -> String {
        self.wait_until(&format!("{css} to say {needle:?}"), || {
            self.text_of(css).filter(|t| t.contains(needle))
        })
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its value.
    pub fn script(&self, script: &str, args: Vec<Value>) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .unwrap_or_else(|e| panic!("script failed: {e}"))
    }

    /// Runs an asynchronous `script` (its last argument is the callback to call with the result).
    pub fn script_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.call(
            "POST",
            "/execute/async",
            Some(json!({"script": script, "args": args})),
        )
        .unwrap_or_else(|e| panic!("async script failed: {e}"))
    }

    /// Sets a file on `<input type=file>` `css` the way a person picking it would: the file's
    /// bytes become a `File` in the input's list and a `change` event fires.
    pub fn choose_file(&self, css: &str, name: &str, bytes: &[u8]) {
        self.wait(css);
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        self.script(
            "const [css, name, b64] = arguments;
             const input = document.querySelector(css);
             const bin = atob(b64); const buf = new Uint8Array(bin.length);
             for (let i = 0; i < bin.length; i++) buf[i] = bin.charCodeAt(i);
             const dt = new DataTransfer(); dt.items.add(new File([buf], name));
             input.files = dt.files;
             input.dispatchEvent(new Event('change', { bubbles: true }));
             return input.files.length;",
            vec![json!(css), json!(name), json!(b64)],
        );
    }

    /// Resizes the window (CSS pixels).
    pub fn resize(&self, width: u32, height: u32) {
        let _ = self.call(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        );
    }

    /// Saves a screenshot of the window as PNG after the next two frames were painted.
    pub fn screenshot(&self, path: &Path) {
        // A screenshot right after a DOM change can show the previous frame.
        let _ = self.call(
            "POST",
            "/execute/async",
            Some(json!({"script": "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));", "args": []})),
        );
        let png = self
            .call("GET", "/screenshot", None)
            .expect("screenshot")
            .as_str()
            .map(|s| {
                base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .expect("base64 PNG")
            })
            .expect("screenshot data");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
        eprintln!("screenshot: {}", path.display());
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = request(self.port, "DELETE", &format!("/session/{}", self.id), None);
    }
}
