//! Opaque cursors for keyset pagination: the last row's sort key (time, id), base64url-encoded. A page's
//! `next_cursor` is passed back as `cursor` to get the rows after it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::problem::Problem;

pub fn encode(at: DateTime<Utc>, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{id}", at.to_rfc3339()))
}

pub fn decode(text: Option<&str>) -> Result<Option<(DateTime<Utc>, Uuid)>, Problem> {
    let Some(text) = text else {
        return Ok(None);
    };
    let bad = || Problem::invalid_parameter("cursor", "`cursor` is not one this API issued");
    let raw = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let (at, id) = raw.split_once('|').ok_or_else(bad)?;
    let at = DateTime::parse_from_rfc3339(at)
        .map_err(|_| bad())?
        .with_timezone(&Utc);
    let id = id.parse().map_err(|_| bad())?;
    Ok(Some((at, id)))
}

/// The first `limit` of `rows` (fetched with `limit + 1` to see whether more follow) and the cursor after the
/// last of them when more follow.
pub fn page<T>(
    mut rows: Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> (DateTime<Utc>, Uuid),
) -> (Vec<T>, Option<String>) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    let next = if more {
        rows.last().map(|row| {
            let (at, id) = key(row);
            encode(at, id)
        })
    } else {
        None
    };
    (rows, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let at = DateTime::parse_from_rfc3339("2025-01-26T19:40:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let id = Uuid::from_u128(7);
        assert_eq!(decode(Some(&encode(at, id))).unwrap(), Some((at, id)));
        assert_eq!(decode(Some("!!")).unwrap_err().parameter, Some("cursor"));
        assert_eq!(
            decode(Some("bm9waXBl")).unwrap_err().parameter,
            Some("cursor")
        );
        assert_eq!(decode(None).unwrap(), None);
    }
}
