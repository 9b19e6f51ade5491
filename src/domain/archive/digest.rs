//! Checksums: sha256 of files, and an order-free digest of a table's items, so a table
//! read back in any scan order (with its sets in any order) digests the same.

use sha2::{Digest as _, Sha256};

use crate::domain::dynamo::{Attr, Item, item_to_typed_json};

/// The sha256 of `bytes`, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Bytes as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The sha256 of one item in a canonical form: DynamoDB JSON with attribute names in order
/// and the elements of every set sorted (DynamoDB returns sets in no fixed order).
pub fn item_digest(item: &Item) -> [u8; 32] {
    let canonical: Item = item.iter().map(|(k, v)| (k.clone(), canon(v))).collect();
    Sha256::digest(item_to_typed_json(&canonical).to_string().as_bytes()).into()
}

fn canon(a: &Attr) -> Attr {
    match a {
        Attr::Ss(v) | Attr::Ns(v) => {
            let mut v = v.clone();
            v.sort();
            if matches!(a, Attr::Ss(_)) {
                Attr::Ss(v)
            } else {
                Attr::Ns(v)
            }
        }
        Attr::Bs(v) => {
            let mut v = v.clone();
            v.sort();
            Attr::Bs(v)
        }
        Attr::L(v) => Attr::L(v.iter().map(canon).collect()),
        Attr::M(m) => Attr::M(m.iter().map(|(k, v)| (k.clone(), canon(v))).collect()),
        other => other.clone(),
    }
}

/// The digest of a multiset of items: the 256-bit wrapping sum of their [`item_digest`]s.
/// Constant memory, independent of order, and different for a missing, extra or changed item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ItemsDigest {
    limbs: [u64; 4],
    count: u64,
}

impl ItemsDigest {
    /// Adds one item.
    pub fn add(&mut self, item: &Item) {
        self.add_digest(&item_digest(item));
    }

    /// Adds one item's digest.
    pub fn add_digest(&mut self, d: &[u8; 32]) {
        let mut carry = 0u128;
        for i in (0..4).rev() {
            let mut limb = [0u8; 8];
            limb.copy_from_slice(&d[i * 8..i * 8 + 8]);
            let sum = u128::from(self.limbs[i]) + u128::from(u64::from_be_bytes(limb)) + carry;
            self.limbs[i] = sum as u64;
            carry = sum >> 64;
        }
        self.count += 1;
    }

    /// Items added.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The digest as hex.
    pub fn hex(&self) -> String {
        let bytes: Vec<u8> = self.limbs.iter().flat_map(|l| l.to_be_bytes()).collect();
        hex(&bytes)
    }
}
