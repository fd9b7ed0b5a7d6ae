//! A virtual display (Xvfb) and WebKitWebDriver on it, both stopped when dropped.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn which(tool: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(tool))
            .find(|p| p.is_file())
    })
}

/// Xvfb on a free display number and WebKitWebDriver on a free port of 127.0.0.1.
pub struct Display {
    pub display: String,
    pub driver_port: u16,
    xvfb: Child,
    driver: Child,
}

fn terminate(child: &mut Child) {
    // SIGTERM, so Xvfb removes its lock file; SIGKILL only if it does not stop.
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

impl Display {
    pub fn start(log_dir: &Path) -> Display {
        for tool in ["Xvfb", "WebKitWebDriver"] {
            assert!(
                which(tool).is_some(),
                "{tool} is missing: run scripts/setup.sh (apt: xvfb webkit2gtk-driver)"
            );
        }
        let n = (90..200)
            .find(|n| !Path::new(&format!("/tmp/.X{n}-lock")).exists())
            .expect("a free X display number");
        let display = format!(":{n}");
        let log = |name: &str| std::fs::File::create(log_dir.join(name)).unwrap();
        let mut xvfb = Command::new("Xvfb")
            .args([&display, "-screen", "0", "1280x4000x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(log("xvfb.log"))
            .spawn()
            .expect("start Xvfb");
        let socket = format!("/tmp/.X11-unix/X{n}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while !Path::new(&socket).exists() {
            if let Ok(Some(status)) = xvfb.try_wait() {
                panic!("Xvfb exited: {status}");
            }
            assert!(Instant::now() < deadline, "Xvfb did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let driver_port = free_port();
        let driver = Command::new("WebKitWebDriver")
            .arg(format!("--port={driver_port}"))
            .env("DISPLAY", &display)
            // Without it WebKitGTK refuses automation and the session hangs.
            .env("TAURI_WEBVIEW_AUTOMATION", "true")
            .stdout(log("webdriver.log"))
            .stderr(log("webdriver.err.log"))
            .spawn()
            .expect("start WebKitWebDriver");
        Display {
            display,
            driver_port,
            xvfb,
            driver,
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        terminate(&mut self.driver);
        terminate(&mut self.xvfb);
    }
}
