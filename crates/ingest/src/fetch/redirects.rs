//! Where a redirect may lead: http(s) only, never to a loopback, private, link-local or otherwise internal
//! address unless the operator allows it (a feed that redirects to `169.254.169.254` must not make the
//! ingestor read a cloud metadata service), and the caller's own headers (API keys) only to the host the
//! request was first sent to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether an address is one a public feed has no business sending us to.
pub(super) fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => internal_v4(v4),
            None => internal_v6(v6),
        },
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        // Carrier-grade NAT (100.64.0.0/10) and benchmarking (198.18.0.0/15).
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240
}

fn internal_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
}

/// Why a redirect target is refused, or `Ok` with the addresses it resolved to.
pub(super) async fn check_target(url: &reqwest::Url, allow_internal: bool) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("redirect to a `{}` URL refused", url.scheme()));
    }
    if allow_internal {
        return Ok(());
    }
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(80);
    let trimmed = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<IpAddr> = match trimmed.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((trimmed, port))
            .await
            .map_err(|e| format!("redirect target {host} does not resolve: {e}"))?
            .map(|a| a.ip())
            .collect(),
    };
    if addresses.is_empty() || addresses.iter().copied().any(is_internal) {
        return Err(format!(
            "redirect to the internal address of {host} refused (set SHOCKWAVE_FETCH_ALLOW_INTERNAL_REDIRECTS=true to allow)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_recognised_and_public_ones_are_not() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(internal.parse().unwrap()), "{internal}");
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700::1111"] {
            assert!(!is_internal(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn redirects_to_loopback_or_other_schemes_are_refused_unless_allowed() {
        let loopback = reqwest::Url::parse("http://127.0.0.1:9/x").unwrap();
        assert!(check_target(&loopback, false).await.is_err());
        assert!(check_target(&loopback, true).await.is_ok());
        let localhost = reqwest::Url::parse("http://localhost:9/x").unwrap();
        assert!(check_target(&localhost, false).await.is_err());
        let file = reqwest::Url::parse("file:///etc/passwd").unwrap();
        assert!(check_target(&file, true).await.is_err());
    }
}
