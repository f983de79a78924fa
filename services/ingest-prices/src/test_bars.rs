//! For the converters' unit tests: the price bars a conversion produced.

use shockwave_ingest::poll::Converted;
use shockwave_schemas::{Payload, PriceBarClosed};

/// The bars among `converted`'s events; any other event fails the test.
pub(crate) fn bars(converted: &Converted) -> Vec<PriceBarClosed> {
    converted
        .events
        .iter()
        .map(|e| match &e.payload {
            Payload::PriceBarClosed(b) => b.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}
