//! The event contract every shockwave service shares: the envelope, the v1 payloads, their bounds, topic names
//! and keys, deterministic event ids, the dead-letter record and the JSON Schemas published for each event
//! type. Pure types, no I/O.

pub mod dead_letter;
pub mod envelope;
pub mod ids;
pub mod json_schema;
pub mod limits;
pub mod payloads;
pub mod topics;

pub use dead_letter::DeadLetter;
pub use envelope::{DecodeError, Event, EventType, Payload};
pub use payloads::*;
pub use topics::Topic;
