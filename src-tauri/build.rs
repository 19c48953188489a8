//! Generates the Tauri context and the permissions of the app's own commands.

fn main() {
    // Every app command is listed here so that tauri-build generates an
    // `allow-…` permission for it; a command missing from a capability file
    // is then refused at the IPC boundary (least privilege).
    let manifest = tauri_build::AppManifest::new().commands(&["app_info"]);
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(manifest);
    if let Err(error) = tauri_build::try_build(attributes) {
        // A build script reports failure through a non-zero exit; there is
        // no caller to return the error to.
        eprintln!("tauri-build failed: {error:#}");
        std::process::exit(1);
    }
}
