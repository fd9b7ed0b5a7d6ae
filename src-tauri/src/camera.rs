//! Camera access on Linux. WebKitGTK ships with media streams disabled and, unlike a browser,
//! has no permission prompt of its own: it denies every `getUserMedia` request that the embedding
//! app does not answer. The app enables media streams and allows exactly one kind of request —
//! video (the camera; never audio, the screen or anything else) from its own bundled interface
//! (the page the user asked to scan from; the system's camera privacy controls still apply).
//! On macOS, Windows, Android and iOS the webview asks the user itself, per the platform's rules.

/// Whether a page at `uri` is the app's own interface (served from the binary).
pub fn is_app_origin(uri: &str) -> bool {
    [
        "tauri://localhost",
        "http://tauri.localhost",
        "https://tauri.localhost",
    ]
    .iter()
    .any(|o| uri == *o || uri.starts_with(&format!("{o}/")))
}

#[cfg(target_os = "linux")]
pub fn allow_camera(window: &tauri::WebviewWindow) {
    use webkit2gtk::glib::prelude::Cast;
    use webkit2gtk::{
        PermissionRequestExt, SettingsExt, UserMediaPermissionRequest,
        UserMediaPermissionRequestExt, WebViewExt,
    };
    let _ = window.with_webview(|wv| {
        let view = wv.inner();
        if let Some(settings) = WebViewExt::settings(&view) {
            settings.set_enable_media_stream(true);
        }
        view.connect_permission_request(|view, request| {
            let Some(media) = request.downcast_ref::<UserMediaPermissionRequest>() else {
                return false; // not ours: WebKit's default, deny
            };
            let ours = view.uri().is_some_and(|u| is_app_origin(u.as_str()));
            if ours && media.is_for_video_device() && !media.is_for_audio_device() {
                request.allow();
            } else {
                request.deny();
            }
            true
        });
    });
}

#[cfg(not(target_os = "linux"))]
pub fn allow_camera(_window: &tauri::WebviewWindow) {}

#[cfg(test)]
mod tests {
    use super::is_app_origin;

    #[test]
    fn only_the_bundled_interface_may_ask_for_the_camera() {
        assert!(is_app_origin("tauri://localhost"));
        assert!(is_app_origin("tauri://localhost/index.html"));
        assert!(is_app_origin("http://tauri.localhost/"));
        assert!(!is_app_origin("tauri://localhost.evil.example/"));
        assert!(!is_app_origin("https://id.gs1.org/01/09506000134352"));
        assert!(!is_app_origin("http://127.0.0.1:5173/"));
    }
}
