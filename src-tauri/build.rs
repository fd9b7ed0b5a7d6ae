//! Declares the app's own commands, so that the window may call only those its capability
//! (capabilities/default.json) grants, and embeds the interface (ui/dist) and the config.

/// Every command of `commands.rs`; each becomes an `allow-<name>` permission.
const COMMANDS: &[&str] = &[
    "app_status",
    "install_policy",
    "install_registry_secret",
    "set_preference",
    "reset_data",
    "decode_image",
    "scan_start",
    "scan_frame",
    "verify",
    "recent_scans",
    "device_create",
    "device_import",
    "device_unlock",
    "device_lock",
    "enrolment_request",
    "device_certify",
    "directory",
    "record_handoff",
    "flush",
    "outbox",
    "monitor",
    "trace",
    "activity",
    "activity_as",
    "verify_as",
    "export_evidence",
    "export_package",
    "export_fsma",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script");
}
