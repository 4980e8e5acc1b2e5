//! RSA key pairs of local actors: generation, PEM encoding, signing and verifying with aws-lc-rs
//! (an order of magnitude faster than the pure-Rust `rsa` crate, see docs/ARCHITECTURE.md).

use aws_lc_rs::{
    encoding::AsDer,
    rand::SystemRandom,
    rsa::KeySize,
    signature::{self, KeyPair, RsaKeyPair, UnparsedPublicKey},
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

/// A remote actor's public key, parsed once.
#[derive(Clone, Debug)]
pub struct VerifyingKey {
    der: Vec<u8>,
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
        Ok(VerifyingKey { der })
    }

    /// Checks an RSASSA-PKCS1-v1_5 SHA-256 signature given in base64.
    pub fn verify_base64(&self, message: &[u8], signature_b64: &str) -> bool {
        let Ok(signature) = BASE64.decode(signature_b64.trim()) else {
            return false;
        };
        UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.der)
            .verify(message, &signature)
            .is_ok()
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
