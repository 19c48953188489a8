//! The Products screen and the product settings: Ledgerlink made the
//! product master, a product created here reaches QuickBooks with its
//! opening stock, stock is kept per location and low stock stands out.

use super::Session;
use super::emulator::QuickBooks;

const LAMP: &str = "Ledgerlink Lamp";

#[tokio::test]
#[ignore = "needs a display, WebKitWebDriver and tauri-driver; `cargo xtask test` runs it"]
async fn products_are_kept_per_location_and_created_on_the_master_side() {
    let app = Session::start_with_env("products", &[("LEDGERLINK_DEMO_SIZE", "40")]).await;
    app.click("welcome-try-demo").await;
    app.wait_for_text("sync-report", "Done:").await;

    app.click("nav-products").await;
    app.element("products-table").await;
    app.element("products-master-note").await;
    app.screenshot("products-01-catalogue").await;

    // Settings: Ledgerlink creates products from now on.
    app.click("nav-settings").await;
    app.select("settings-product-master", "ledgerlink").await;
    app.fill("settings-minimum-quantity", "5").await;
    app.fill("settings-non-inventory-quantity", "12").await;
    app.screenshot("products-02-settings").await;
    app.click("settings-company-save").await;
    app.element("settings-company-saved").await;

    app.click("nav-products").await;
    app.fill("location-name", "Van").await;
    app.click("location-add").await;
    app.wait_for_text("products-page", "Van").await;

    app.click("products-new").await;
    app.fill("product-name", LAMP).await;
    app.select("product-kind", "product").await;
    app.fill("product-price", "25").await;
    app.fill("product-opening", "8").await;
    app.screenshot("products-03-new-product").await;
    app.click("product-save").await;
    let row = format!("[data-testid=products-row][data-name=\"{LAMP}\"]");
    app.wait_for_selector(&row).await;

    app.click("nav-companies").await;
    app.click("sync-now").await;
    app.wait_for_text("sync-report", "sent").await;
    let quickbooks = QuickBooks::of(&app).await;
    let lamps = quickbooks
        .query(&format!("SELECT * FROM Item WHERE Name = '{LAMP}'"), "Item")
        .await;
    assert_eq!(lamps.len(), 1, "the product reached QuickBooks");
    assert_eq!(lamps[0]["Type"], "Inventory");
    assert_eq!(lamps[0]["QtyOnHand"].to_string(), "8");

    // Three more in the van, and a minimum at the default location above
    // what is there: the product is low on stock.
    app.click("nav-products").await;
    app.script(&format!(
        "document.querySelector('{}').click(); return true;",
        row.replace('\'', "\\'")
    ))
    .await;
    app.element("product-detail").await;
    app.script(
        "const set = (selector, value) => { const input = document.querySelector(selector); \
         input.value = value; input.dispatchEvent(new Event('input', { bubbles: true })); }; \
         set('[data-testid=stock-row][data-location=\"Van\"] [data-testid=stock-on-hand]', '3'); \
         document.querySelector('[data-testid=stock-row][data-location=\"Van\"] [data-testid=stock-save]').click(); \
         return true;",
    )
    .await;
    app.wait_for_text("product-detail", "11 in all locations")
        .await;
    app.wait_for_attribute(&row, "data-low", "false").await;
    app.script(
        "const input = document.querySelector('[data-testid=stock-row][data-location=\"Main location\"] [data-testid=stock-minimum]'); \
         input.value = '20'; input.dispatchEvent(new Event('input', { bubbles: true })); \
         document.querySelector('[data-testid=stock-row][data-location=\"Main location\"] [data-testid=stock-save]').click(); \
         return true;",
    )
    .await;
    app.wait_for_attribute(&row, "data-low", "true").await;
    app.screenshot("products-04-stock-per-location").await;
    app.close().await;
}
