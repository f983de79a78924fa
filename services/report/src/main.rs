//! `report [OUT_DIR]`: writes the demo report (`report.txt`, printed too) and chart (`chart.svg`) into OUT_DIR
//! (default `target/demo`) from the views at `SHOCKWAVE_DATABASE_URL`; the API address in its URLs is
//! `SHOCKWAVE_API_ADDR`.

use std::path::PathBuf;
use std::time::Duration;

use shockwave_common::config::Settings;
use shockwave_common::{CommonConfig, db};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::from_env();
    let common = CommonConfig::load(&settings, 0)?;
    let api: String = settings.get_or("SHOCKWAVE_API_ADDR", "127.0.0.1:8080".to_string())?;
    let out = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("target/demo"), PathBuf::from);
    let pool = db::connect_and_migrate(&common.database_url, 2, Duration::from_secs(30)).await?;
    let report = shockwave_report::write(&pool, &out, &format!("http://{api}")).await?;
    print!("{}", report.text);
    Ok(())
}
