//! The Tally app: one window, three roles (shopper, warehouse, auditor), all verifying on the
//! device.
//!
//! This crate is the thin edge between the web view (`ui/`, served from the binary) and the Rust
//! crates that do the work: [`commands`] are one-line adapters over `tally-client` (verification,
//! outbox, identity, audit), `tally-scan` (camera frames and photos) and the clock. The app talks
//! only to the bookkeepers of the installed network policy; a scanned code is a lookup key, never
//! a URL to open. The device key is sealed at rest and, once unlocked with its passphrase, kept in
//! memory for the session only ([`state::AppState`]).
//!
//! Start-up options (for the demo and the end-to-end tests), as arguments or environment:
//! `--data-dir DIR` / `TALLY_APP_DATA` (where the client database lives; default: the platform's
//! app data directory), `--policy FILE` / `TALLY_APP_POLICY` (installed at start-up if the
//! database has no policy yet), `--registry-secret FILE` / `TALLY_APP_REGISTRY_SECRET` (a
//! confidential network's registry secret, which governance gives its members: a warehouse
//! device reads the sealed registry with it, and wraps its events for the entitled recipients;
//! installed at start-up once a policy is).
#![forbid(unsafe_code)]

pub mod camera;
pub mod commands;
pub mod error;
pub mod state;

use std::path::PathBuf;
use tauri::Manager;

/// Start-up options read from the arguments and the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    pub data_dir: Option<PathBuf>,
    pub policy: Option<PathBuf>,
    pub registry_secret: Option<PathBuf>,
}

impl Options {
    /// Reads `--data-dir DIR`, `--policy FILE`, `--registry-secret FILE` (or `--flag=VALUE`) from `args`
    /// (others are ignored: WebDriver and the platform may add their own), then the environment.
    pub fn parse(args: &[String], env: impl Fn(&str) -> Option<String>) -> Options {
        let mut o = Options::default();
        let mut it = args.iter().peekable();
        while let Some(a) = it.next() {
            for (flag, slot) in [
                ("--data-dir", &mut o.data_dir),
                ("--policy", &mut o.policy),
                ("--registry-secret", &mut o.registry_secret),
            ] {
                if let Some(v) = a.strip_prefix(&format!("{flag}=")) {
                    *slot = Some(PathBuf::from(v));
                } else if a == flag {
                    if let Some(v) = it.peek() {
                        *slot = Some(PathBuf::from(v.as_str()));
                        it.next();
                    }
                }
            }
        }
        o.data_dir = o
            .data_dir
            .or_else(|| env("TALLY_APP_DATA").map(PathBuf::from));
        o.policy = o
            .policy
            .or_else(|| env("TALLY_APP_POLICY").map(PathBuf::from));
        o.registry_secret = o
            .registry_secret
            .or_else(|| env("TALLY_APP_REGISTRY_SECRET").map(PathBuf::from));
        o
    }
}

/// Creates the app's data directory (and its parents) if missing. It holds the sealed device key:
/// on Unix it is made private to its owner (0700), as the XDG base directory spec asks.
fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Runs the app (desktop `main` and the mobile entry point).
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = Options::parse(&args, |k| std::env::var(k).ok());
    tauri::Builder::default()
        .setup(move |app| {
            let dir = match &options.data_dir {
                Some(d) => d.clone(),
                None => app.path().app_data_dir()?,
            };
            create_private_dir(&dir)?;
            let state = state::AppState::new(dir);
            if let Some(policy) = &options.policy {
                state.install_policy_file_if_none(policy)?;
            }
            if let Some(secret) = &options.registry_secret {
                state.install_registry_secret_file(secret)?;
            }
            app.manage(state);
            if let Some(window) = app.get_webview_window("main") {
                camera::allow_camera(&window);
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_status,
            commands::install_policy,
            commands::install_registry_secret,
            commands::set_preference,
            commands::reset_data,
            commands::decode_image,
            commands::scan_start,
            commands::scan_frame,
            commands::verify,
            commands::verify_as,
            commands::recent_scans,
            commands::device_create,
            commands::device_import,
            commands::device_unlock,
            commands::device_lock,
            commands::enrolment_request,
            commands::device_certify,
            commands::directory,
            commands::record_handoff,
            commands::flush,
            commands::outbox,
            commands::monitor,
            commands::trace,
            commands::activity,
            commands::activity_as,
            commands::export_evidence,
            commands::export_package,
            commands::export_fsma,
        ])
        .run(tauri::generate_context!())
        .expect("error while running the Tally app");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_come_from_arguments_first_then_the_environment() {
        let args: Vec<String> = [
            "--automation",
            "--data-dir",
            "/d",
            "--policy=/p.json",
            "--registry-secret",
            "/r",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let o = Options::parse(&args, |_| Some("/env".into()));
        assert_eq!(o.data_dir, Some(PathBuf::from("/d")));
        assert_eq!(o.policy, Some(PathBuf::from("/p.json")));
        assert_eq!(o.registry_secret, Some(PathBuf::from("/r")));
        let o = Options::parse(&[], |k| (k == "TALLY_APP_DATA").then(|| "/env".into()));
        assert_eq!(o.data_dir, Some(PathBuf::from("/env")));
        assert_eq!(o.policy, None);
        // A flag without its value is ignored.
        let o = Options::parse(&["--policy".into()], |_| None);
        assert_eq!(o, Options::default());
    }

    #[cfg(unix)]
    #[test]
    fn the_data_directory_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        create_private_dir(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
        // An existing directory is kept as it is.
        create_private_dir(&dir).unwrap();
    }
}
