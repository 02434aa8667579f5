//! Password and PIN hashing (argon2id, 19 MiB, 2 passes, 1 lane), random
//! tokens, and the keys derived from the portal secret: one seals camera
//! sources at rest (XChaCha20-Poly1305), one signs short-lived addresses
//! (HMAC-SHA-256).

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::error::AppError;

fn hasher() -> Argon2<'static> {
    // OWASP's first argon2id choice: m=19 MiB, t=2, p=1.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Argon2 runs at most one per core at once, each with its 19 MiB, so a
/// burst of sign-ins queues for a few milliseconds instead of each taking
/// a core's share and its own 19 MiB (memory the allocator then keeps).
static HASHING: crate::slots::Slots = crate::slots::Slots::new();

fn hashing_turn() -> crate::slots::Slot<'static> {
    HASHING.take(std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Hashes a password or PIN to a PHC string.
pub fn hash_secret(secret: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    let _turn = hashing_turn();
    hasher()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(AppError::because("argon2"))
}

/// Checks a secret against a stored PHC string; a malformed hash never matches.
pub fn verify_secret(hash: &str, candidate: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => {
            let _turn = hashing_turn();
            hasher()
                .verify_password(candidate.as_bytes(), &parsed)
                .is_ok()
        }
        Err(_) => false,
    }
}

/// A hash of nothing in particular, verified against when a username is unknown
/// so that a sign-in takes as long whether or not the user exists.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_secret("no such user, no such password").unwrap_or_default())
}

/// `n` random bytes as lowercase hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// SHA-256 of `bytes` as lowercase hex (ETags, cache stamps).
pub fn digest_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(Sha256::digest(bytes))
}

/// Keys derived from the portal secret (`PORTAL_SECRET`, or the one kept in
/// the database), so every instance holds the same ones.
pub struct Keys {
    seal: XChaCha20Poly1305,
    sign: [u8; 32],
}

const NONCE_LEN: usize = 24;

impl Keys {
    pub fn derive(secret: &[u8]) -> Keys {
        let hk = hkdf::Hkdf::<Sha256>::new(Some(b"village-portal"), secret);
        let mut seal = [0u8; 32];
        let mut sign = [0u8; 32];
        // Both lengths are valid for HKDF-SHA-256 (at most 8160 bytes).
        let _ = hk.expand(b"camera sources v1", &mut seal);
        let _ = hk.expand(b"signed addresses v1", &mut sign);
        Keys {
            seal: XChaCha20Poly1305::new(&seal.into()),
            sign,
        }
    }

    /// Encrypts and authenticates: a random nonce, then the ciphertext.
    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        // Encryption fails only for messages beyond 256 GiB.
        out.extend(
            self.seal
                .encrypt(XNonce::from_slice(&nonce), plain)
                .unwrap_or_default(),
        );
        out
    }

    /// The plain text of what [`Keys::seal`] made, or `None` when it was
    /// sealed with another key or altered.
    pub fn open(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, cipher) = sealed.split_at(NONCE_LEN);
        self.seal.decrypt(XNonce::from_slice(nonce), cipher).ok()
    }

    /// A signature of `message`, as 32 hex characters.
    pub fn sign(&self, message: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.sign)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(message.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// Whether `signature` is [`Keys::sign`] of `message` (constant time).
    pub fn verify(&self, message: &str, signature: &str) -> bool {
        let Ok(given) = hex::decode(signature) else {
            return false;
        };
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.sign)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(message.as_bytes());
        given.len() == 16 && mac.verify_truncated_left(&given).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_bytes_open_only_with_the_same_key() {
        let keys = Keys::derive(b"a secret of at least thirty-two chars");
        let sealed = keys.seal(b"rtsp://admin:hunter2@10.0.0.5/Streaming/Channels/101");
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(
            keys.open(&sealed).as_deref(),
            Some(&b"rtsp://admin:hunter2@10.0.0.5/Streaming/Channels/101"[..])
        );
        let other = Keys::derive(b"another secret of thirty-two chars..");
        assert_eq!(other.open(&sealed), None);
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert_eq!(keys.open(&altered), None);
        assert_eq!(keys.open(b"short"), None);
        assert_ne!(keys.seal(b"x"), keys.seal(b"x"), "fresh nonce each time");
    }

    #[test]
    fn signatures_verify() {
        let keys = Keys::derive(b"a secret of at least thirty-two chars");
        let sig = keys.sign("live|gengjing|3|1700000000");
        assert!(keys.verify("live|gengjing|3|1700000000", &sig));
        assert!(!keys.verify("live|gengjing|4|1700000000", &sig));
        assert!(!keys.verify("live|gengjing|3|1700000000", "00"));
        assert!(!keys.verify("live|gengjing|3|1700000000", "zz"));
    }

    #[test]
    fn hashes_verify_and_use_argon2id_params() {
        let h = hash_secret("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_secret(&h, "correct horse battery"));
        assert!(!verify_secret(&h, "wrong horse battery"));
        assert!(!verify_secret("not a hash", "x"));
        assert_ne!(h, hash_secret("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn random_hex_is_random() {
        assert_eq!(random_hex(16).len(), 32);
        assert_ne!(random_hex(16), random_hex(16));
    }
}
