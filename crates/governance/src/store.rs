//! The store: one connection pool over SQLite or PostgreSQL (sqlx's `Any` driver), the same
//! migrations on both (`migrations/`, only types both know).

use std::path::Path;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

use crate::Result;

/// The embedded default store of a warehouse: `governance.db` in its folder, created on first use.
pub fn default_url(warehouse: &Path) -> String {
    format!("sqlite://{}?mode=rwc", warehouse.join("governance.db").display())
}

/// Connects to the store at `url` and brings its schema up to date.
pub(crate) async fn connect(url: &str) -> Result<AnyPool> {
    sqlx::any::install_default_drivers();
    // SQLite takes one writer at a time: one connection queues the server's transactions in
    // the program rather than failing them with SQLITE_BUSY. PostgreSQL takes several.
    let connections = if url.starts_with("sqlite:") { 1 } else { 8 };
    let pool = AnyPoolOptions::new().max_connections(connections).connect(url).await?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}
