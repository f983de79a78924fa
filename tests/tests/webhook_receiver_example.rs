//! The README's webhook verification example works: the Python function it shows, run as written, accepts
//! what the alerter signs and refuses a changed body, another idempotency key and a stale timestamp.

use std::process::Command;

use shockwave_alerter::delivery::webhook::{Secret, signature};
use shockwave_tests::repo_root;

/// The ```python block of the README that defines `verify`.
fn readme_verifier() -> String {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    readme
        .split("```python\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .find(|code| code.contains("def verify("))
        .expect("the README shows a Python `verify`")
        .to_string()
}

fn python_verify(code: &str, ts: i64, key: &str, body: &str, header: &str) -> bool {
    let script = format!(
        "{code}\nimport sys\nheaders = {{'X-Shockwave-Timestamp': sys.argv[1], 'Idempotency-Key': sys.argv[2], \
         'X-Shockwave-Signature': sys.argv[4]}}\nprint(verify(b'the shared secret', headers, sys.argv[3].encode()))\n"
    );
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args([ts.to_string().as_str(), key, body, header])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    match String::from_utf8_lossy(&out.stdout).trim() {
        "True" => true,
        "False" => false,
        other => panic!("verify printed {other}"),
    }
}

#[test]
fn the_readme_verifier_accepts_real_signatures_and_refuses_tampering_and_replays() {
    let code = readme_verifier();
    let secret = Secret::new("the shared secret".into());
    let now = chrono::Utc::now().timestamp();
    let key = "4b10597a-c200-5b2d-bb96-f7fb8aea060b";
    let body = r#"{"event_type":"SentimentShockDetected","payload":{"subject":"ai_efficiency"}}"#;
    let header = signature(&secret, now, key, body.as_bytes());
    assert!(
        python_verify(&code, now, key, body, &header),
        "a fresh, real signature"
    );
    assert!(
        !python_verify(&code, now, key, &body.replace("ai_", "ai-"), &header),
        "a changed body"
    );
    assert!(
        !python_verify(&code, now, "another-key", body, &header),
        "another idempotency key"
    );
    let old = now - 600;
    let stale = signature(&secret, old, key, body.as_bytes());
    assert!(
        !python_verify(&code, old, key, body, &stale),
        "ten minutes old"
    );
}
