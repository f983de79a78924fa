//! Which tickers each topic exposes: the `basket` of every topic in the scorer's catalog (the same file,
//! `SHOCKWAVE_CATALOG`, or the built-in one), so a shock on a topic names the stocks it should hit.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Deserialize)]
struct Catalog {
    topics: Vec<CatalogTopic>,
}

#[derive(Deserialize)]
struct CatalogTopic {
    id: String,
    #[serde(default)]
    basket: Vec<String>,
}

pub const BUILTIN_CATALOG: &str = include_str!("../../scorer/config/catalog.json");

/// Topic id to its basket, from a catalog's JSON text.
pub fn from_catalog(text: &str) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
    let catalog: Catalog = serde_json::from_str(text)?;
    Ok(catalog
        .topics
        .into_iter()
        .map(|t| (t.id, t.basket))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_catalog_exposes_the_hardware_basket_to_ai_efficiency_news() {
        let baskets = from_catalog(BUILTIN_CATALOG).unwrap();
        let basket = &baskets["ai_efficiency"];
        assert!(basket.iter().any(|t| t == "NVDA"));
        assert!(basket.iter().any(|t| t == "^SOX"));
    }
}
