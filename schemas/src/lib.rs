//! The event contract every shockwave service shares: the envelope, the v1 payloads, topic names and keys,
//! deterministic event ids and the JSON Schemas published for each event type. Pure types, no I/O.

pub mod envelope;
pub mod ids;
pub mod json_schema;
pub mod payloads;
pub mod topics;

pub use envelope::{DecodeError, Event, EventType, Payload};
pub use payloads::*;
pub use topics::Topic;
