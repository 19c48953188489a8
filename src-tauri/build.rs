//! Generates the Tauri context and the permissions of the app's own commands.

fn main() {
    // Every app command is listed here so that tauri-build generates an
    // `allow-…` permission for it; a command missing from a capability file
    // is then refused at the IPC boundary (least privilege).
    let manifest = tauri_build::AppManifest::new().commands(&[
        "app_info",
        "first_screen_painted",
        "list_companies",
        "companies_overview",
        "company_charts",
        "add_demo_company",
        "add_intuit_company",
        "add_quickbooks_company",
        "set_own_keys",
        "connect_company",
        "cancel_connect",
        "disconnect_company",
        "remove_company",
        "sync_now",
        "cancel_sync",
        "sync_all",
        "list_records",
        "get_record",
        "save_record",
        "delete_record",
        "void_record",
        "picker_options",
        "list_conflicts",
        "get_conflict",
        "resolve_conflict",
        "list_history",
        "undo_change",
        "pending_changes",
        "pending_review",
        "hold_back",
        "discard_change",
        "get_company_settings",
        "save_company_settings",
        "get_app_settings",
        "save_app_settings",
        "open_logs_folder",
        "demo_address",
        "list_products",
        "create_product",
        "set_stock",
        "add_location",
        "rename_location",
        "remove_location",
        "choose_statement_file",
        "show_in_folder",
        "export_iif_as",
        "export_list_as",
        "import_statement",
        "list_inbox",
        "accept_inbox_entry",
        "bulk_accept_inbox",
        "exclude_inbox_entries",
        "list_statement_rules",
        "add_statement_rule",
        "remove_statement_rule",
        "restore_inbox_entries",
        "export_iif",
    ]);
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
