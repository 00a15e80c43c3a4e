//! Sprig's key and certificate functions: `genPrivateKey`, `genCA`, `genCAWithKey`,
//! `genSelfSignedCert`, `genSelfSignedCertWithKey`, `genSignedCert`, `genSignedCertWithKey`
//! and `buildCustomCert`.
//!
//! Certificates are returned as Sprig's `certificate` struct (fields `.Cert` and `.Key`,
//! both PEM). Keys and serial numbers are random, so only the structure can match Helm's:
//! we build the same X.509 v3 certificate Go's `x509.CreateCertificate` makes from Sprig's
//! template — subject CN only, 128-bit random serial, validity now → now + days × 24h,
//! key usage digitalSignature|keyEncipherment (+ certSign for CAs), extended key usage
//! serverAuth+clientAuth, critical basic constraints, a subject key identifier on CAs, the
//! issuer's key identifier on signed certificates, and DNS/IP subject alternative names.
//! Keys are encoded as Go does: PKCS#1 for RSA, SEC1 for ECDSA, PKCS#8 for Ed25519 and
//! OpenSSL's sequence for DSA.
//!
//! Supported key types: RSA, ECDSA P-256 (the curve Sprig generates), Ed25519, and DSA for
//! `genPrivateKey` only (Go cannot sign certificates with DSA keys either).

use std::rc::Rc;

use der::asn1::{BitString, GeneralizedTime, Ia5String, OctetString, UtcTime};
use der::{Decode, Encode};
use rand::RngCore;
use sha1::Digest;
use spki::{
    AlgorithmIdentifierOwned, EncodePublicKey, ObjectIdentifier, SubjectPublicKeyInfoOwned,
};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate as X509Certificate, TbsCertificate, Version};

use super::convert::{expect_args, expect_string, int_arg, string_arg};
use super::encoding::{base64_decode, base64_encode};
use super::FuncMap;
use crate::template::value::{FuncError, Map, Object, Value};

pub fn register(map: &mut FuncMap) {
    map.insert("genPrivateKey", gen_private_key);
    map.insert("genCA", gen_ca);
    map.insert("genCAWithKey", gen_ca_with_key);
    map.insert("genSelfSignedCert", gen_self_signed_cert);
    map.insert("genSelfSignedCertWithKey", gen_self_signed_cert_with_key);
    map.insert("genSignedCert", gen_signed_cert);
    map.insert("genSignedCertWithKey", gen_signed_cert_with_key);
    map.insert("buildCustomCert", build_custom_cert);
}

/// Sprig's `certificate` struct: PEM certificate and PEM private key.
#[derive(Debug, Clone)]
pub struct Certificate {
    pub cert: String,
    pub key: String,
}

impl Object for Certificate {
    fn type_name(&self) -> &str {
        "sprig.certificate"
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Cert" => Some(Value::str(&self.cert)),
            "Key" => Some(Value::str(&self.key)),
            _ => None,
        }
    }

    /// Go's `%v` of a struct: `{field1 field2}`.
    fn display(&self) -> String {
        format!("{{{} {}}}", self.cert, self.key)
    }

    fn to_data(&self) -> Value {
        let mut m = Map::new();
        m.insert("Cert".to_string(), Value::str(&self.cert));
        m.insert("Key".to_string(), Value::str(&self.key));
        Value::map(m)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A private key of one of the kinds Sprig handles.
enum PrivateKey {
    Rsa(Box<rsa::RsaPrivateKey>),
    Ecdsa(p256::SecretKey),
    Ed25519(Box<ed25519_dalek::SigningKey>),
    /// DSA keys can be generated and parsed but not used to sign certificates.
    Dsa(Vec<u8>),
}

fn err(message: impl Into<String>) -> FuncError {
    FuncError::new(message)
}

/// Go's `pem.EncodeToMemory`: base64 body in 64-character lines.
fn pem_encode(label: &str, der: &[u8]) -> String {
    let body = base64_encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The first PEM block in `text` (Go's `pem.Decode`): its type and DER bytes.
fn pem_decode(text: &str) -> Option<(String, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let after = &text[start + "-----BEGIN ".len()..];
    let label_end = after.find("-----")?;
    let label = &after[..label_end];
    let body_start = &after[label_end + 5..];
    let end_marker = format!("-----END {label}-----");
    let body_end = body_start.find(&end_marker)?;
    let body: Vec<u8> = body_start[..body_end]
        .lines()
        // Skip RFC 1421 headers ("Proc-Type: …").
        .filter(|line| !line.contains(':'))
        .flat_map(|line| line.bytes())
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let der = base64_decode(&body).ok()?;
    Some((label.to_string(), der))
}

/// A minimal DER writer for the DSA private-key sequence, which no RustCrypto crate encodes.
fn der_length(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
}

fn der_unsigned_integer(be: &[u8], out: &mut Vec<u8>) {
    let trimmed: Vec<u8> = be.iter().copied().skip_while(|b| *b == 0).collect();
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend(trimmed);
    out.push(0x02);
    der_length(content.len(), out);
    out.extend(content);
}

fn generate_dsa() -> Vec<u8> {
    let mut rng = rand::rngs::OsRng;
    let components = dsa::Components::generate(&mut rng, dsa::KeySize::DSA_2048_256);
    let key = dsa::SigningKey::generate(&mut rng, components);
    let public = key.verifying_key();
    let parts = [
        public.components().p().to_bytes_be(),
        public.components().q().to_bytes_be(),
        public.components().g().to_bytes_be(),
        public.y().to_bytes_be(),
        key.x().to_bytes_be(),
    ];
    let mut body = Vec::new();
    der_unsigned_integer(&[0], &mut body);
    for part in &parts {
        der_unsigned_integer(part, &mut body);
    }
    let mut out = vec![0x30];
    der_length(body.len(), &mut out);
    out.extend(body);
    out
}

fn generate_rsa(bits: usize) -> Result<PrivateKey, String> {
    rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, bits)
        .map(|k| PrivateKey::Rsa(Box::new(k)))
        .map_err(|e| e.to_string())
}

/// Go's `pemBlockForKey`.
fn key_to_pem(key: &PrivateKey) -> Result<String, FuncError> {
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    use rsa::pkcs1::EncodeRsaPrivateKey;
    Ok(match key {
        PrivateKey::Rsa(k) => pem_encode(
            "RSA PRIVATE KEY",
            k.to_pkcs1_der().map_err(|e| err(e.to_string()))?.as_bytes(),
        ),
        PrivateKey::Ecdsa(k) => pem_encode(
            "EC PRIVATE KEY",
            &k.to_sec1_der().map_err(|e| err(e.to_string()))?,
        ),
        PrivateKey::Ed25519(k) => pem_encode(
            "PRIVATE KEY",
            k.to_pkcs8_der().map_err(|e| err(e.to_string()))?.as_bytes(),
        ),
        PrivateKey::Dsa(der) => pem_encode("DSA PRIVATE KEY", der),
    })
}

/// Sprig's `parsePrivateKeyPEM`, with its error messages.
fn parse_private_key(text: &str) -> Result<PrivateKey, String> {
    use ed25519_dalek::pkcs8::DecodePrivateKey;
    use rsa::pkcs1::DecodeRsaPrivateKey;
    let (label, der) = pem_decode(text).ok_or("no PEM data in input")?;
    if label == "PRIVATE KEY" {
        if let Ok(k) = rsa::RsaPrivateKey::from_pkcs8_der(&der) {
            return Ok(PrivateKey::Rsa(Box::new(k)));
        }
        if let Ok(k) = p256::SecretKey::from_pkcs8_der(&der) {
            return Ok(PrivateKey::Ecdsa(k));
        }
        return ed25519_dalek::SigningKey::from_pkcs8_der(&der)
            .map(|k| PrivateKey::Ed25519(Box::new(k)))
            .map_err(|e| format!("decoding PEM as PKCS#8: {e}"));
    }
    let Some(kind) = label.strip_suffix(" PRIVATE KEY") else {
        return Err(format!("no private key data in PEM block of type {label}"));
    };
    match kind {
        "RSA" => rsa::RsaPrivateKey::from_pkcs1_der(&der)
            .map(|k| PrivateKey::Rsa(Box::new(k)))
            .map_err(|e| format!("parsing RSA private key from PEM: {e}")),
        "EC" => p256::SecretKey::from_sec1_der(&der)
            .map(PrivateKey::Ecdsa)
            .map_err(|e| format!("parsing EC private key from PEM: {e}")),
        "DSA" => Ok(PrivateKey::Dsa(der)),
        _ => Err(format!("invalid private key type {label}")),
    }
}

/// `genPrivateKey "rsa"|"dsa"|"ecdsa"|"ed25519"`: a PEM key. Failures are the value.
fn gen_private_key(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("genPrivateKey", args, 1)?;
    let kind = string_arg("genPrivateKey", args, 0)?;
    let key = match kind.as_ref() {
        "" | "rsa" => generate_rsa(4096),
        "dsa" => Ok(PrivateKey::Dsa(generate_dsa())),
        "ecdsa" => Ok(PrivateKey::Ecdsa(p256::SecretKey::random(
            &mut rand::rngs::OsRng,
        ))),
        "ed25519" => Ok(PrivateKey::Ed25519(Box::new(
            ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng),
        ))),
        other => return Ok(Value::string(format!("Unknown type {other}"))),
    };
    match key {
        Ok(key) => Ok(Value::string(key_to_pem(&key)?)),
        Err(e) => Ok(Value::string(format!(
            "failed to generate private key: {e}"
        ))),
    }
}

/// Go's `asn1` string choice: PrintableString when every character allows it.
fn directory_string(s: &str) -> Result<der::Any, FuncError> {
    let printable = s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?*&".contains(&b));
    let tag = if printable {
        der::Tag::PrintableString
    } else {
        der::Tag::Utf8String
    };
    der::Any::new(tag, s.as_bytes()).map_err(|e| err(e.to_string()))
}

/// A subject with just the common name (empty when `cn` is empty, as Go's pkix.Name does).
fn subject_name(cn: &str) -> Result<Name, FuncError> {
    if cn.is_empty() {
        return Ok(RdnSequence(Vec::new()));
    }
    let atv = x509_cert::attr::AttributeTypeAndValue {
        oid: const_oid::db::rfc4519::CN,
        value: directory_string(cn)?,
    };
    let rdn = RelativeDistinguishedName::try_from(vec![atv]).map_err(|e| err(e.to_string()))?;
    Ok(RdnSequence(vec![rdn]))
}

fn public_key_info(key: &PrivateKey) -> Result<SubjectPublicKeyInfoOwned, FuncError> {
    let doc = match key {
        PrivateKey::Rsa(k) => k.to_public_key().to_public_key_der(),
        PrivateKey::Ecdsa(k) => k.public_key().to_public_key_der(),
        PrivateKey::Ed25519(k) => k.verifying_key().to_public_key_der(),
        PrivateKey::Dsa(_) => {
            return Err(err(
                "error creating certificate: x509: certificate private key does not implement crypto.Signer",
            ))
        }
    }
    .map_err(|e| err(format!("error retrieving public key from signee key: {e}")))?;
    SubjectPublicKeyInfoOwned::from_der(doc.as_bytes()).map_err(|e| err(e.to_string()))
}

const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const SERVER_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");
const CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");

fn signature_algorithm(key: &PrivateKey) -> Result<AlgorithmIdentifierOwned, FuncError> {
    Ok(match key {
        PrivateKey::Rsa(_) => AlgorithmIdentifierOwned {
            oid: SHA256_WITH_RSA,
            parameters: Some(der::asn1::Null.into()),
        },
        PrivateKey::Ecdsa(_) => AlgorithmIdentifierOwned {
            oid: ECDSA_WITH_SHA256,
            parameters: None,
        },
        PrivateKey::Ed25519(_) => AlgorithmIdentifierOwned {
            oid: ED25519,
            parameters: None,
        },
        PrivateKey::Dsa(_) => {
            return Err(err(
                "error creating certificate: x509: certificate private key does not implement crypto.Signer",
            ))
        }
    })
}

fn sign(key: &PrivateKey, message: &[u8]) -> Result<Vec<u8>, FuncError> {
    use signature::{SignatureEncoding, Signer};
    let failed = |e: signature::Error| err(format!("error creating certificate: {e}"));
    Ok(match key {
        PrivateKey::Rsa(k) => {
            let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(k.as_ref().clone());
            signer.try_sign(message).map_err(failed)?.to_vec()
        }
        PrivateKey::Ecdsa(k) => {
            let signer = p256::ecdsa::SigningKey::from(k);
            let sig: p256::ecdsa::Signature = signer.try_sign(message).map_err(failed)?;
            sig.to_der().as_bytes().to_vec()
        }
        PrivateKey::Ed25519(k) => k.try_sign(message).map_err(failed)?.to_bytes().to_vec(),
        PrivateKey::Dsa(_) => {
            return Err(err(
                "error creating certificate: x509: certificate private key does not implement crypto.Signer",
            ))
        }
    })
}

/// An X.509 time as Go encodes it: UTCTime before 2050, GeneralizedTime after.
fn x509_time(unix_seconds: i64) -> Result<Time, FuncError> {
    let secs = u64::try_from(unix_seconds)
        .map_err(|_| err("error creating certificate: x509: validity before 1970"))?;
    let d = std::time::Duration::from_secs(secs);
    // 2050-01-01T00:00:00Z
    if unix_seconds < 2_524_608_000 {
        UtcTime::from_unix_duration(d).map(Time::UtcTime)
    } else {
        GeneralizedTime::from_unix_duration(d).map(Time::GeneralTime)
    }
    .map_err(|e| err(format!("error creating certificate: {e}")))
}

fn extension(
    oid: ObjectIdentifier,
    critical: bool,
    value: &impl Encode,
) -> Result<Extension, FuncError> {
    let der = value.to_der().map_err(|e| err(e.to_string()))?;
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(der).map_err(|e| err(e.to_string()))?,
    })
}

/// What Sprig's certificate template holds besides the subject key.
struct CertRequest<'a> {
    cn: &'a str,
    ips: Vec<std::net::IpAddr>,
    dns_names: Vec<String>,
    days_valid: i64,
    is_ca: bool,
}

/// The issuer of a certificate: its name, key identifier and signing key.
struct Issuer<'a> {
    name: Name,
    key_id: Option<Vec<u8>>,
    key: &'a PrivateKey,
}

/// Go's subject key identifier: SHA-1 of the subject public key bits.
fn key_identifier(spki: &SubjectPublicKeyInfoOwned) -> Vec<u8> {
    sha1::Sha1::digest(spki.subject_public_key.raw_bytes()).to_vec()
}

/// `x509.CreateCertificate` for Sprig's template; returns the certificate and key PEMs.
fn create_certificate(
    request: &CertRequest<'_>,
    subject_key: &PrivateKey,
    issuer: Option<Issuer<'_>>,
) -> Result<Certificate, FuncError> {
    let spki = public_key_info(subject_key)?;
    let subject = subject_name(request.cn)?;
    let self_signed = issuer.is_none();
    let issuer = issuer.unwrap_or_else(|| Issuer {
        name: subject.clone(),
        key_id: None,
        key: subject_key,
    });

    // A positive serial below 2^128.
    let mut serial = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut serial);
    let serial = SerialNumber::new(&serial).map_err(|e| err(e.to_string()))?;

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let not_after = request
        .days_valid
        .checked_mul(86_400)
        .and_then(|s| now.checked_add(s))
        .ok_or_else(|| err("error creating certificate: validity out of range"))?;

    let mut usages = KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment;
    if request.is_ca {
        usages |= KeyUsages::KeyCertSign;
    }
    let mut extensions = vec![
        extension(
            const_oid::db::rfc5280::ID_CE_KEY_USAGE,
            true,
            &KeyUsage(usages),
        )?,
        extension(
            const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE,
            false,
            &ExtendedKeyUsage(vec![SERVER_AUTH, CLIENT_AUTH]),
        )?,
        extension(
            const_oid::db::rfc5280::ID_CE_BASIC_CONSTRAINTS,
            true,
            &BasicConstraints {
                ca: request.is_ca,
                path_len_constraint: None,
            },
        )?,
    ];
    // Go adds a subject key identifier to CA certificates.
    if request.is_ca {
        let id = OctetString::new(key_identifier(&spki)).map_err(|e| err(e.to_string()))?;
        extensions.push(extension(
            const_oid::db::rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER,
            false,
            &SubjectKeyIdentifier(id),
        )?);
    }
    // …and the issuer's key identifier when the issuer is a different name.
    if !self_signed && issuer.name != subject {
        if let Some(id) = &issuer.key_id {
            extensions.push(extension(
                const_oid::db::rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER,
                false,
                &AuthorityKeyIdentifier {
                    key_identifier: Some(
                        OctetString::new(id.clone()).map_err(|e| err(e.to_string()))?,
                    ),
                    authority_cert_issuer: None,
                    authority_cert_serial_number: None,
                },
            )?);
        }
    }
    if !request.dns_names.is_empty() || !request.ips.is_empty() {
        let mut names = Vec::new();
        for dns in &request.dns_names {
            let name = Ia5String::new(dns)
                .map_err(|_| err(format!("x509: {dns:?} cannot be encoded as an IA5String")))?;
            names.push(GeneralName::DnsName(name));
        }
        for ip in &request.ips {
            let bytes = match ip {
                std::net::IpAddr::V4(v4) => v4.octets().to_vec(),
                std::net::IpAddr::V6(v6) => v6.octets().to_vec(),
            };
            names.push(GeneralName::IpAddress(
                OctetString::new(bytes).map_err(|e| err(e.to_string()))?,
            ));
        }
        // RFC 5280: the SAN is critical when the subject is empty (Go does the same).
        extensions.push(extension(
            const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME,
            subject.0.is_empty(),
            &SubjectAltName(names),
        )?);
    }

    let algorithm = signature_algorithm(issuer.key)?;
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: serial,
        signature: algorithm.clone(),
        issuer: issuer.name.clone(),
        validity: Validity {
            not_before: x509_time(now)?,
            not_after: x509_time(not_after)?,
        },
        subject,
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    };
    let tbs_der = tbs.to_der().map_err(|e| err(e.to_string()))?;
    let signature = sign(issuer.key, &tbs_der)?;
    let cert = X509Certificate {
        tbs_certificate: tbs,
        signature_algorithm: algorithm,
        signature: BitString::from_bytes(&signature).map_err(|e| err(e.to_string()))?,
    };
    let cert_der = cert.to_der().map_err(|e| err(e.to_string()))?;
    Ok(Certificate {
        cert: pem_encode("CERTIFICATE", &cert_der),
        key: key_to_pem(subject_key)?,
    })
}

/// Sprig's `getNetIPs`: every entry must be a string holding an IP address.
fn ip_list(v: &Value) -> Result<Vec<std::net::IpAddr>, FuncError> {
    let mut out = Vec::new();
    for item in list_param(v)? {
        let Value::String(s) = &item else {
            return Err(err(format!("error parsing ip: {item} is not a string")));
        };
        out.push(
            s.parse()
                .map_err(|_| err(format!("error parsing ip: {s}")))?,
        );
    }
    Ok(out)
}

/// Sprig's `getAlternateDNSStrs`.
fn dns_list(v: &Value) -> Result<Vec<String>, FuncError> {
    let mut out = Vec::new();
    for item in list_param(v)? {
        let Value::String(s) = &item else {
            return Err(err(format!(
                "error processing alternate dns name: {item} is not a string"
            )));
        };
        out.push(s.to_string());
    }
    Ok(out)
}

/// A Go `[]interface{}` parameter: a list, or nil.
fn list_param(v: &Value) -> Result<Vec<Value>, FuncError> {
    match v {
        Value::List(items) => Ok(items.as_ref().clone()),
        Value::Nil => Ok(Vec::new()),
        other => Err(err(format!(
            "wrong type for value; expected []interface {{}}; got {}",
            other.type_name()
        ))),
    }
}

fn certificate_param(v: &Value) -> Result<Certificate, FuncError> {
    match v {
        Value::Object(o) => o
            .as_any()
            .downcast_ref::<Certificate>()
            .cloned()
            .ok_or_else(|| {
                err(format!(
                    "wrong type for value; expected sprig.certificate; got {}",
                    o.type_name()
                ))
            }),
        other => Err(err(format!(
            "wrong type for value; expected sprig.certificate; got {}",
            other.type_name()
        ))),
    }
}

fn new_rsa_2048() -> Result<PrivateKey, FuncError> {
    generate_rsa(2048).map_err(|e| err(format!("error generating rsa key: {e}")))
}

fn key_param(name: &str, v: &Value) -> Result<PrivateKey, FuncError> {
    let pem = expect_string(name, v)?;
    parse_private_key(&pem).map_err(|e| err(format!("parsing private key: {e}")))
}

fn cert_value(c: Certificate) -> Value {
    Value::Object(Rc::new(c))
}

fn ca_request(name: &str, args: &[Value]) -> Result<(String, i64), FuncError> {
    let cn = string_arg(name, args, 0)?.into_owned();
    let days = int_arg(name, args, 1)?;
    Ok((cn, days))
}

fn make_ca(cn: &str, days: i64, key: &PrivateKey) -> Result<Value, FuncError> {
    let request = CertRequest {
        cn,
        ips: Vec::new(),
        dns_names: Vec::new(),
        days_valid: days,
        is_ca: true,
    };
    create_certificate(&request, key, None).map(cert_value)
}

/// `genCA "cn" days`: a self-signed CA with a new RSA-2048 key.
fn gen_ca(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("genCA", args, 2)?;
    let (cn, days) = ca_request("genCA", args)?;
    make_ca(&cn, days, &new_rsa_2048()?)
}

fn gen_ca_with_key(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("genCAWithKey", args, 3)?;
    let (cn, days) = ca_request("genCAWithKey", args)?;
    make_ca(&cn, days, &key_param("genCAWithKey", &args[2])?)
}

/// The leaf-certificate parameters shared by the `gen*Cert*` functions: ips, dns, days.
fn leaf_request<'a>(cn: &'a str, args: &[Value]) -> Result<CertRequest<'a>, FuncError> {
    Ok(CertRequest {
        cn,
        ips: ip_list(&args[1])?,
        dns_names: dns_list(&args[2])?,
        days_valid: int_arg("genSignedCert", args, 3)?,
        is_ca: false,
    })
}

/// `genSelfSignedCert "cn" ips dnsNames days`.
fn gen_self_signed_cert(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("genSelfSignedCert", args, 4)?;
    let cn = string_arg("genSelfSignedCert", args, 0)?;
    let request = leaf_request(&cn, args)?;
    create_certificate(&request, &new_rsa_2048()?, None).map(cert_value)
}

fn gen_self_signed_cert_with_key(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("genSelfSignedCertWithKey", args, 5)?;
    let cn = string_arg("genSelfSignedCertWithKey", args, 0)?;
    let request = leaf_request(&cn, args)?;
    let key = key_param("genSelfSignedCertWithKey", &args[4])?;
    create_certificate(&request, &key, None).map(cert_value)
}

/// Sign `request` for `subject_key` with the CA certificate `ca` (Sprig's
/// `generateSignedCertificateWithKeyInternal`).
fn sign_with_ca(
    request: &CertRequest<'_>,
    ca: &Certificate,
    subject_key: &PrivateKey,
) -> Result<Value, FuncError> {
    let (_, ca_der) = pem_decode(&ca.cert).ok_or_else(|| err("unable to decode certificate"))?;
    let ca_cert = X509Certificate::from_der(&ca_der).map_err(|e| {
        err(format!(
            "error parsing certificate: decodedSignerCert.Bytes: {e}"
        ))
    })?;
    let ca_key =
        parse_private_key(&ca.key).map_err(|e| err(format!("error parsing private key: {e}")))?;
    let key_id = ca_cert
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER)
        .and_then(|e| SubjectKeyIdentifier::from_der(e.extn_value.as_bytes()).ok())
        .map(|ski| ski.0.as_bytes().to_vec());
    let issuer = Issuer {
        name: ca_cert.tbs_certificate.subject.clone(),
        key_id,
        key: &ca_key,
    };
    create_certificate(request, subject_key, Some(issuer)).map(cert_value)
}

/// `genSignedCert "cn" ips dnsNames days $ca`.
fn gen_signed_cert(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("genSignedCert", args, 5)?;
    let cn = string_arg("genSignedCert", args, 0)?;
    let request = leaf_request(&cn, args)?;
    let ca = certificate_param(&args[4])?;
    sign_with_ca(&request, &ca, &new_rsa_2048()?)
}

fn gen_signed_cert_with_key(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("genSignedCertWithKey", args, 6)?;
    let cn = string_arg("genSignedCertWithKey", args, 0)?;
    let request = leaf_request(&cn, args)?;
    let ca = certificate_param(&args[4])?;
    let key = key_param("genSignedCertWithKey", &args[5])?;
    sign_with_ca(&request, &ca, &key)
}

/// `buildCustomCert b64cert b64key`: wraps an existing certificate and key (both base64 of
/// PEM) as a `certificate`, after checking that both parse.
fn build_custom_cert(args: &[Value]) -> Result<Value, FuncError> {
    expect_args("buildCustomCert", args, 2)?;
    let b64cert = string_arg("buildCustomCert", args, 0)?;
    let b64key = string_arg("buildCustomCert", args, 1)?;
    let cert = base64_decode(b64cert.as_bytes())
        .map_err(|_| err("unable to decode base64 certificate"))?;
    let key =
        base64_decode(b64key.as_bytes()).map_err(|_| err("unable to decode base64 private key"))?;
    let cert = String::from_utf8_lossy(&cert).into_owned();
    let key = String::from_utf8_lossy(&key).into_owned();
    let (_, der) = pem_decode(&cert).ok_or_else(|| err("unable to decode certificate"))?;
    X509Certificate::from_der(&der)
        .map_err(|e| err(format!("error parsing certificate: decodedCert.Bytes: {e}")))?;
    parse_private_key(&key).map_err(|e| err(format!("error parsing private key: {e}")))?;
    Ok(cert_value(Certificate { cert, key }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pem: &str) -> X509Certificate {
        let (label, der) = pem_decode(pem).unwrap();
        assert_eq!(label, "CERTIFICATE");
        X509Certificate::from_der(&der).unwrap()
    }

    fn cert_of(v: &Value) -> Certificate {
        certificate_param(v).unwrap()
    }

    fn common_name(name: &Name) -> String {
        name.0
            .iter()
            .flat_map(|rdn| rdn.0.iter())
            .find(|atv| atv.oid == const_oid::db::rfc4519::CN)
            .map(|atv| String::from_utf8_lossy(atv.value.value()).into_owned())
            .unwrap_or_default()
    }

    fn ext(cert: &X509Certificate, oid: ObjectIdentifier) -> Option<&Extension> {
        cert.tbs_certificate
            .extensions
            .iter()
            .flatten()
            .find(|e| e.extn_id == oid)
    }

    fn validity_days(cert: &X509Certificate) -> u64 {
        let v = &cert.tbs_certificate.validity;
        (v.not_after.to_unix_duration() - v.not_before.to_unix_duration()).as_secs() / 86_400
    }

    #[test]
    fn ca_then_signed_certificate() {
        let ca = gen_ca(&[Value::str("my-ca"), Value::int(365)]).unwrap();
        let ca_cert = cert_of(&ca);
        assert!(ca_cert.key.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        let parsed_ca = parse(&ca_cert.cert);
        assert_eq!(common_name(&parsed_ca.tbs_certificate.subject), "my-ca");
        assert_eq!(
            parsed_ca.tbs_certificate.issuer,
            parsed_ca.tbs_certificate.subject
        );
        assert_eq!(parsed_ca.tbs_certificate.version, Version::V3);
        assert_eq!(validity_days(&parsed_ca), 365);
        let bc = ext(&parsed_ca, const_oid::db::rfc5280::ID_CE_BASIC_CONSTRAINTS).unwrap();
        assert!(bc.critical);
        assert!(
            BasicConstraints::from_der(bc.extn_value.as_bytes())
                .unwrap()
                .ca
        );
        let ku = ext(&parsed_ca, const_oid::db::rfc5280::ID_CE_KEY_USAGE).unwrap();
        let ku = KeyUsage::from_der(ku.extn_value.as_bytes()).unwrap();
        assert!(ku.key_cert_sign() && ku.digital_signature() && ku.key_encipherment());
        assert!(ext(
            &parsed_ca,
            const_oid::db::rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER
        )
        .is_some());

        let leaf = gen_signed_cert(&[
            Value::str("svc.ns"),
            Value::list(vec![Value::str("10.0.0.1")]),
            Value::list(vec![Value::str("svc"), Value::str("svc.ns.svc")]),
            Value::int(30),
            ca,
        ])
        .unwrap();
        let leaf_cert = cert_of(&leaf);
        let parsed = parse(&leaf_cert.cert);
        assert_eq!(common_name(&parsed.tbs_certificate.subject), "svc.ns");
        assert_eq!(common_name(&parsed.tbs_certificate.issuer), "my-ca");
        assert_eq!(validity_days(&parsed), 30);
        let bc = ext(&parsed, const_oid::db::rfc5280::ID_CE_BASIC_CONSTRAINTS).unwrap();
        assert!(
            !BasicConstraints::from_der(bc.extn_value.as_bytes())
                .unwrap()
                .ca
        );
        let ku = ext(&parsed, const_oid::db::rfc5280::ID_CE_KEY_USAGE).unwrap();
        let ku = KeyUsage::from_der(ku.extn_value.as_bytes()).unwrap();
        assert!(!ku.key_cert_sign() && ku.digital_signature());
        let eku = ext(&parsed, const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE).unwrap();
        let eku = ExtendedKeyUsage::from_der(eku.extn_value.as_bytes()).unwrap();
        assert_eq!(eku.0, vec![SERVER_AUTH, CLIENT_AUTH]);
        let san = ext(&parsed, const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME).unwrap();
        let san = SubjectAltName::from_der(san.extn_value.as_bytes()).unwrap();
        let rendered: Vec<String> = san
            .0
            .iter()
            .map(|n| match n {
                GeneralName::DnsName(d) => d.to_string(),
                GeneralName::IpAddress(ip) => format!("{:?}", ip.as_bytes()),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(rendered, ["svc", "svc.ns.svc", "[10, 0, 0, 1]"]);
        assert!(ext(
            &parsed,
            const_oid::db::rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER
        )
        .is_some());

        // The leaf's signature verifies with the CA's public key.
        use rsa::pkcs1::DecodeRsaPrivateKey;
        use signature::Verifier;
        let (_, ca_key_der) = pem_decode(&ca_cert.key).unwrap();
        let ca_key = rsa::RsaPrivateKey::from_pkcs1_der(&ca_key_der).unwrap();
        let verifier = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(ca_key.to_public_key());
        let sig = rsa::pkcs1v15::Signature::try_from(parsed.signature.raw_bytes()).unwrap();
        verifier
            .verify(&parsed.tbs_certificate.to_der().unwrap(), &sig)
            .unwrap();
    }

    #[test]
    fn certificate_object_fields_and_data() {
        let c = Certificate {
            cert: "C".into(),
            key: "K".into(),
        };
        assert_eq!(c.field("Cert"), Some(Value::str("C")));
        assert_eq!(c.field("Key"), Some(Value::str("K")));
        assert_eq!(c.field("Other"), None);
        assert_eq!(c.display(), "{C K}");
        assert_eq!(c.to_data().to_string(), "map[Cert:C Key:K]");
    }

    #[test]
    fn keys_of_each_kind_and_with_key_variants() {
        let ec = gen_private_key(&[Value::str("ecdsa")]).unwrap().to_string();
        assert!(ec.starts_with("-----BEGIN EC PRIVATE KEY-----\n"), "{ec}");
        let ed = gen_private_key(&[Value::str("ed25519")])
            .unwrap()
            .to_string();
        assert!(ed.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{ed}");
        assert_eq!(
            gen_private_key(&[Value::str("foo")]).unwrap().to_string(),
            "Unknown type foo"
        );

        let ca = gen_ca_with_key(&[Value::str("ec-ca"), Value::int(10), Value::str(&ec)]).unwrap();
        assert_eq!(cert_of(&ca).key, ec);
        let self_signed = gen_self_signed_cert_with_key(&[
            Value::str("ed"),
            Value::Nil,
            Value::list(vec![Value::str("a.example")]),
            Value::int(1),
            Value::str(&ed),
        ])
        .unwrap();
        let parsed = parse(&cert_of(&self_signed).cert);
        assert_eq!(parsed.signature_algorithm.oid, ED25519);
        let signed = gen_signed_cert_with_key(&[
            Value::str("leaf"),
            Value::Nil,
            Value::Nil,
            Value::int(1),
            ca,
            Value::str(&ed),
        ])
        .unwrap();
        let parsed = parse(&cert_of(&signed).cert);
        assert_eq!(parsed.signature_algorithm.oid, ECDSA_WITH_SHA256);
        assert_eq!(common_name(&parsed.tbs_certificate.issuer), "ec-ca");
        assert!(ext(&parsed, const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME).is_none());
    }

    #[test]
    fn bad_inputs_give_sprig_errors() {
        let e = gen_ca_with_key(&[Value::str("x"), Value::int(1), Value::str("nope")]).unwrap_err();
        assert_eq!(e.message, "parsing private key: no PEM data in input");
        let e = gen_self_signed_cert(&[
            Value::str("x"),
            Value::list(vec![Value::str("not-an-ip")]),
            Value::Nil,
            Value::int(1),
        ])
        .unwrap_err();
        assert_eq!(e.message, "error parsing ip: not-an-ip");
        let e = gen_self_signed_cert(&[
            Value::str("x"),
            Value::Nil,
            Value::list(vec![Value::int(1)]),
            Value::int(1),
        ])
        .unwrap_err();
        assert_eq!(
            e.message,
            "error processing alternate dns name: 1 is not a string"
        );
        let e = build_custom_cert(&[Value::str("!!"), Value::str("")]).unwrap_err();
        assert_eq!(e.message, "unable to decode base64 certificate");
        let e = build_custom_cert(&[Value::str("YWJj"), Value::str("")]).unwrap_err();
        assert_eq!(e.message, "unable to decode certificate");
    }

    #[test]
    fn build_custom_cert_round_trip() {
        let ec = gen_private_key(&[Value::str("ecdsa")]).unwrap().to_string();
        let ca = gen_ca_with_key(&[Value::str("c"), Value::int(1), Value::str(&ec)]).unwrap();
        let ca = cert_of(&ca);
        let built = build_custom_cert(&[
            Value::string(base64_encode(ca.cert.as_bytes())),
            Value::string(base64_encode(ca.key.as_bytes())),
        ])
        .unwrap();
        let built = cert_of(&built);
        assert_eq!((built.cert, built.key), (ca.cert, ca.key));
    }

    #[test]
    fn pem_lines_are_64_characters() {
        let pem = pem_encode("X", &[7u8; 100]);
        let lines: Vec<&str> = pem.lines().collect();
        assert_eq!(lines[0], "-----BEGIN X-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines.last(), Some(&"-----END X-----"));
        assert_eq!(pem_decode(&pem), Some(("X".to_string(), vec![7u8; 100])));
    }
}
