//! RSA key pairs of local actors: generation, PEM encoding, signing and verifying with aws-lc-rs
//! (an order of magnitude faster than the pure-Rust `rsa` crate, see docs/ARCHITECTURE.md).

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use aws_lc_rs::{
    encoding::AsDer,
    rand::SystemRandom,
    rsa::KeySize,
    signature::{self, KeyPair, ParsedPublicKey, RsaKeyPair},
};
use base64::{engine::general_purpose::STANDARD as BASE64, Engine};

/// A key pair as stored: SPKI `PUBLIC KEY` and PKCS#8 `PRIVATE KEY` PEM texts.
#[derive(Clone, Debug)]
pub struct KeyPairPem {
    pub public_pem: String,
    pub private_pem: String,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key generation failed")]
    Generate,
    #[error("invalid key: {0}")]
    Invalid(&'static str),
    #[error("signing failed")]
    Sign,
}

/// Generates a new RSA-2048 key pair.
pub fn generate_rsa_2048() -> Result<KeyPairPem, KeyError> {
    let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generate)?;
    let private_der = pair.as_der().map_err(|_| KeyError::Generate)?;
    let public_der = pair.public_key().as_der().map_err(|_| KeyError::Generate)?;
    Ok(KeyPairPem {
        public_pem: pem_encode("PUBLIC KEY", public_der.as_ref()),
        private_pem: pem_encode("PRIVATE KEY", private_der.as_ref()),
    })
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = BASE64.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Decodes the first PEM block and returns its label and DER bytes.
fn pem_decode(pem: &str) -> Result<(String, Vec<u8>), KeyError> {
    let start = pem
        .find("-----BEGIN ")
        .ok_or(KeyError::Invalid("no PEM header"))?;
    let rest = &pem[start + 11..];
    let label_end = rest
        .find("-----")
        .ok_or(KeyError::Invalid("bad PEM header"))?;
    let label = rest[..label_end].to_owned();
    let body_and_end = &rest[label_end + 5..];
    let end_marker = format!("-----END {label}-----");
    let end = body_and_end
        .find(&end_marker)
        .ok_or(KeyError::Invalid("no PEM footer"))?;
    let b64: String = body_and_end[..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = BASE64
        .decode(b64)
        .map_err(|_| KeyError::Invalid("bad base64 in PEM"))?;
    Ok((label, der))
}

/// A parsed private key, ready to sign many requests.
pub struct SigningKey {
    pair: RsaKeyPair,
    rng: SystemRandom,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// Parses a PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`) PEM.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let (label, der) = pem_decode(pem)?;
        let pair = match label.as_str() {
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der),
            _ => return Err(KeyError::Invalid("not a private key")),
        }
        .map_err(|_| KeyError::Invalid("unreadable private key"))?;
        Ok(SigningKey {
            pair,
            rng: SystemRandom::new(),
        })
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message`, base64-encoded.
    pub fn sign_base64(&self, message: &[u8]) -> Result<String, KeyError> {
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &self.rng,
                message,
                &mut signature,
            )
            .map_err(|_| KeyError::Sign)?;
        Ok(BASE64.encode(signature))
    }
}

/// A remote actor's public key, parsed once (aws-lc-rs keeps the parsed key, so verifying does
/// not decode the DER again). Cheap to clone.
#[derive(Clone)]
pub struct VerifyingKey {
    key: Arc<ParsedPublicKey>,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerifyingKey(..)")
    }
}

impl VerifyingKey {
    /// Parses an SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY` PEM.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let (label, der) = pem_decode(pem)?;
        if label != "PUBLIC KEY" && label != "RSA PUBLIC KEY" {
            return Err(KeyError::Invalid("not a public key"));
        }
        aws_lc_rs::rsa::PublicKey::from_der(&der)
            .map_err(|_| KeyError::Invalid("unreadable public key"))?;
        let key = ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &der)
            .map_err(|_| KeyError::Invalid("unusable public key"))?;
        Ok(VerifyingKey { key: Arc::new(key) })
    }

    /// Checks an RSASSA-PKCS1-v1_5 SHA-256 signature given in base64.
    pub fn verify_base64(&self, message: &[u8], signature_b64: &str) -> bool {
        let Ok(signature) = BASE64.decode(signature_b64.trim()) else {
            return false;
        };
        self.key.verify_sig(message, &signature).is_ok()
    }
}

/// Remote actors' parsed public keys by key id, so an inbox request does not parse a PEM.
/// An entry is used only while the stored PEM it was parsed from is unchanged, so a rotated key
/// is never verified with its old copy. Bounded: when full it starts again empty.
pub struct VerifyingKeyCache {
    entries: RwLock<HashMap<String, (String, VerifyingKey)>>,
    capacity: usize,
}

impl VerifyingKeyCache {
    pub fn new(capacity: usize) -> Self {
        VerifyingKeyCache {
            entries: RwLock::new(HashMap::new()),
            capacity,
        }
    }

    /// The parsed key for `key_id`, whose current PEM is `pem`.
    pub fn get(&self, key_id: &str, pem: &str) -> Result<VerifyingKey, KeyError> {
        if let Some((cached_pem, key)) = self
            .entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key_id)
        {
            if cached_pem == pem {
                return Ok(key.clone());
            }
        }
        let key = VerifyingKey::from_pem(pem)?;
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity {
            entries.clear();
        }
        entries.insert(key_id.to_owned(), (pem.to_owned(), key.clone()));
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_sign_and_verify() {
        let pair = generate_rsa_2048().unwrap();
        assert!(pair.public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(pair
            .private_pem
            .starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let signer = SigningKey::from_pem(&pair.private_pem).unwrap();
        let verifier = VerifyingKey::from_pem(&pair.public_pem).unwrap();
        let sig = signer.sign_base64(b"hello").unwrap();
        assert!(verifier.verify_base64(b"hello", &sig));
        assert!(!verifier.verify_base64(b"hellO", &sig));
        assert!(!verifier.verify_base64(b"hello", "not base64!"));
    }

    #[test]
    fn key_cache_follows_the_stored_pem() {
        let (a, b) = (generate_rsa_2048().unwrap(), generate_rsa_2048().unwrap());
        let sig_b = SigningKey::from_pem(&b.private_pem)
            .unwrap()
            .sign_base64(b"m")
            .unwrap();
        let cache = VerifyingKeyCache::new(1);
        let old = cache.get("https://x.example/u#k", &a.public_pem).unwrap();
        assert!(!old.verify_base64(b"m", &sig_b));
        // The actor rotated its key: the same key id with a new PEM is parsed again.
        let new = cache.get("https://x.example/u#k", &b.public_pem).unwrap();
        assert!(new.verify_base64(b"m", &sig_b));
        // Full (capacity 1): another key id still works.
        assert!(cache.get("https://y.example/u#k", &a.public_pem).is_ok());
        assert!(cache.get("https://y.example/u#k", "garbage").is_err());
    }

    #[test]
    fn garbage_pem_is_rejected() {
        assert!(VerifyingKey::from_pem("hello").is_err());
        assert!(VerifyingKey::from_pem(
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
        )
        .is_err());
        assert!(SigningKey::from_pem(
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
        )
        .is_err());
    }
}
