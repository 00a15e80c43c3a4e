//! `--notify URL`: the notifier against an in-process HTTP(S) receiver that records what it
//! gets and answers as scripted: the exact JSON body and headers, the one retry after a
//! 5xx or a timeout, no retry after a 4xx, HTTPS with a private CA, and bad URLs.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use opm::rollout::notify::{Notification, Notifier, NotifyError, NotifyEvent};
use serde_json::{json, Value};
use tokio::net::TcpListener;

/// What the receiver got: method, path, content type, body.
type Received = Arc<Mutex<Vec<(String, String, String, Value)>>>;

/// How the receiver answers its n-th request (the last entry repeats).
#[derive(Clone)]
struct Script(Vec<(u16, Duration)>);

/// Starts a receiver on the current runtime; TLS when `tls` is given.
async fn receiver(
    script: Script,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> (SocketAddr, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let received: Received = Arc::default();
    let log = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let log = log.clone();
            let script = script.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                        let log = log.clone();
                        let script = script.clone();
                        async move {
                            let method = req.method().to_string();
                            let path = req.uri().path().to_string();
                            let ct = req
                                .headers()
                                .get("content-type")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_string();
                            let body = req.into_body().collect().await.unwrap().to_bytes();
                            let n = {
                                let mut l = log.lock().unwrap();
                                l.push((
                                    method,
                                    path,
                                    ct,
                                    serde_json::from_slice(&body).unwrap_or(Value::Null),
                                ));
                                l.len()
                            };
                            let (status, delay) = script.0[(n - 1).min(script.0.len() - 1)];
                            tokio::time::sleep(delay).await;
                            let mut r = Response::new(Full::new(Bytes::from_static(b"ok")));
                            *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                            Ok::<_, Infallible>(r)
                        }
                    });
                let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                match tls {
                    Some(cfg) => {
                        if let Ok(s) = tokio_rustls::TlsAcceptor::from(cfg).accept(stream).await {
                            let _ = builder.serve_connection(TokioIo::new(s), service).await;
                        }
                    }
                    None => {
                        let _ = builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    }
                }
            });
        }
    });
    (addr, received)
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn approval() -> Notification {
    Notification {
        event: NotifyEvent::ApprovalNeeded,
        release: "my-op".into(),
        rollout_id: "r-20250101-ab12".into(),
        stage: Some("canary-3".into()),
        clusters: vec!["prod-eu".into(), "prod-us".into()],
        message: "approve with: kubectl opm rollout approve my-op".into(),
    }
}

fn ok_once() -> Script {
    Script(vec![(200, Duration::ZERO)])
}

#[test]
fn posts_the_exact_json() {
    let rt = rt();
    rt.block_on(async {
        let (addr, received) = receiver(ok_once(), None).await;
        let n = Notifier::new(&format!("http://{addr}/services/T0/B0/secret")).unwrap();
        n.post(&approval()).await.unwrap();
        let mut done = approval();
        done.event = NotifyEvent::Completed;
        done.stage = None;
        done.message = String::new();
        n.post(&done).await.unwrap();
        let got = received.lock().unwrap().clone();
        assert_eq!(
            got,
            [
                (
                    "POST".to_string(),
                    "/services/T0/B0/secret".to_string(),
                    "application/json".to_string(),
                    json!({
                        "text": "*my-op* rollout r-20250101-ab12: stage canary-3 waits for approval on prod-eu, prod-us: approve with: kubectl opm rollout approve my-op",
                        "event": "approval-needed",
                        "release": "my-op",
                        "rolloutId": "r-20250101-ab12",
                        "stage": "canary-3",
                        "clusters": ["prod-eu", "prod-us"],
                        "message": "approve with: kubectl opm rollout approve my-op"
                    })
                ),
                (
                    "POST".to_string(),
                    "/services/T0/B0/secret".to_string(),
                    "application/json".to_string(),
                    json!({
                        "text": "*my-op* rollout r-20250101-ab12: completed on prod-eu, prod-us",
                        "event": "completed",
                        "release": "my-op",
                        "rolloutId": "r-20250101-ab12",
                        "clusters": ["prod-eu", "prod-us"],
                        "message": ""
                    })
                ),
            ]
        );
        // The body key order is the documented one.
        assert_eq!(
            approval().to_json().as_object().unwrap().keys().collect::<Vec<_>>(),
            ["text", "event", "release", "rolloutId", "stage", "clusters", "message"]
        );
    });
}

#[test]
fn retries_once_after_a_server_error() {
    let rt = rt();
    rt.block_on(async {
        let (addr, received) = receiver(
            Script(vec![(503, Duration::ZERO), (200, Duration::ZERO)]),
            None,
        )
        .await;
        let n = Notifier::new(&format!("http://{addr}/hook")).unwrap();
        n.post(&approval()).await.unwrap();
        assert_eq!(received.lock().unwrap().len(), 2);
    });
}

#[test]
fn gives_up_after_two_failures_without_showing_the_secret_path() {
    let rt = rt();
    rt.block_on(async {
        let (addr, received) = receiver(Script(vec![(500, Duration::ZERO)]), None).await;
        let n = Notifier::new(&format!("http://{addr}/services/T0/B0/secret")).unwrap();
        let err = n.post(&approval()).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("notification to http://{addr}/… failed after 2 attempts: HTTP 500: ok")
        );
        assert_eq!(err.exit_code(), 3);
        assert_eq!(received.lock().unwrap().len(), 2);
    });
}

#[test]
fn a_refusal_is_not_retried() {
    let rt = rt();
    rt.block_on(async {
        let (addr, received) = receiver(Script(vec![(404, Duration::ZERO)]), None).await;
        let n = Notifier::new(&format!("http://{addr}/gone")).unwrap();
        let err = n.post(&approval()).await.unwrap_err();
        assert!(
            matches!(err, NotifyError::Rejected { status: 404, .. }),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            format!("notification to http://{addr}/… was refused: HTTP 404: ok")
        );
        assert_eq!(received.lock().unwrap().len(), 1);
    });
}

#[test]
fn each_attempt_is_bounded() {
    let rt = rt();
    rt.block_on(async {
        // The receiver answers far later than the notifier waits.
        let (addr, received) = receiver(Script(vec![(200, Duration::from_secs(30))]), None).await;
        let n = Notifier::new(&format!("http://{addr}/slow"))
            .unwrap()
            .with_timeout(Duration::from_millis(200));
        let err = n.post(&approval()).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "notification to http://{addr}/… failed after 2 attempts: no answer within 200ms"
            )
        );
        assert_eq!(received.lock().unwrap().len(), 2);
    });
}

#[test]
fn unreachable_receiver_fails_cleanly() {
    let rt = rt();
    rt.block_on(async {
        // A port nobody listens on.
        let addr = {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            l.local_addr().unwrap()
        };
        let n = Notifier::new(&format!("http://{addr}/hook")).unwrap();
        let err = n.post(&approval()).await.unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(&format!(
                "notification to http://{addr}/… failed after 2 attempts: "
            )),
            "{text}"
        );
    });
}

/// A CA and a server configuration presenting a certificate for 127.0.0.1 signed by it.
fn private_ca() -> (String, Arc<rustls::ServerConfig>) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from(cert.der().to_vec())],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
    .unwrap();
    (ca_cert.pem(), Arc::new(config))
}

#[test]
fn https_with_a_private_ca() {
    let rt = rt();
    rt.block_on(async {
        let (ca_pem, server) = private_ca();
        let (addr, received) = receiver(ok_once(), Some(server)).await;
        let url = format!("https://{addr}/hook");
        let trusted = Notifier::with_root_certificates(&url, ca_pem.as_bytes()).unwrap();
        trusted.post(&approval()).await.unwrap();
        assert_eq!(received.lock().unwrap().len(), 1);
        // Without the CA the certificate is not trusted, and nothing is delivered.
        let untrusted = Notifier::new(&url).unwrap();
        let err = untrusted.post(&approval()).await.unwrap_err();
        assert!(err.to_string().contains("certificate"), "{err}");
        assert_eq!(received.lock().unwrap().len(), 1);
    });
}

#[test]
fn bad_urls_and_certificates_are_bad_input() {
    for (url, message) in [
        (
            "ftp://example.com/hook",
            "--notify \"ftp://example.com/…\" is not usable: only http:// and https:// URLs are supported",
        ),
        (
            "hooks.example.com/x",
            "--notify \"hooks.example.com/x\" is not usable: expected an http:// or https:// URL",
        ),
        (
            "https://user:secret@example.com/hook",
            "--notify \"https://example.com/…\" is not usable: user:password@ in the URL is not supported (put the token in the path or query, as webhook services do)",
        ),
        (
            "http://exa mple.com",
            "--notify \"http://exa mple.com\" is not usable: expected an http:// or https:// URL",
        ),
        ("", "--notify \"\" is not usable: expected an http:// or https:// URL"),
    ] {
        let err = Notifier::new(url).unwrap_err();
        assert_eq!(err.to_string(), message, "{url}");
        assert_eq!(err.exit_code(), 2);
    }
    let err =
        Notifier::with_root_certificates("https://example.com/hook", b"no pem here").unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot set up TLS for notifications: no PEM certificate found among the CA certificates"
    );
    assert_eq!(err.exit_code(), 2);
}
