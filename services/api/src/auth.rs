//! The admin endpoints' bearer token: 401 without one, 403 with a wrong one (or when no token is configured,
//! which disables them). Compared in constant time over SHA-256 digests, so neither content nor length leaks.

use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::problem::Problem;

fn same(a: &[u8], b: &[u8]) -> bool {
    let (a, b) = (Sha256::digest(a), Sha256::digest(b));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

pub fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), Problem> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(Problem::unauthorized)?;
    let Some(expected) = &state.admin_token else {
        return Err(Problem::forbidden(
            "the admin endpoints are disabled (SHOCKWAVE_API_ADMIN_TOKEN is not set)",
        ));
    };
    if same(given.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(Problem::forbidden("the token does not grant admin access"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_bytes_compare_equal() {
        assert!(same(b"s3cret", b"s3cret"));
        assert!(!same(b"s3cret", b"s3cre"));
        assert!(!same(b"s3cret", b"s3creT"));
    }
}
