//! Exact sets of strings held elsewhere (event ids in the buffer's slots, request names in the
//! request order's groups), indexed by a seeded 64-bit hash so that a lookup neither allocates
//! nor hashes with SipHash, and a recent-ids ring that keeps evicted ids without copying them.

use std::collections::hash_map::{Entry, RandomState};
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

/// A seeded hash of strings, read eight bytes at a time and finished with `MurmurHash3`'s
/// 64-bit mix; the seed is random per index, so colliding keys cannot be chosen in advance.
#[derive(Debug, Clone, Copy)]
pub(super) struct StrHash(u64);

impl StrHash {
    /// A hash with a fresh random seed.
    pub(super) fn random() -> Self {
        Self(RandomState::new().build_hasher().finish())
    }

    pub(super) fn of(self, s: &str) -> u64 {
        self.of_bytes(s.as_bytes())
    }

    fn of_bytes(self, bytes: &[u8]) -> u64 {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut h = self.0 ^ (bytes.len() as u64).wrapping_mul(K);
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            h = (h ^ u64::from_le_bytes(word))
                .wrapping_mul(K)
                .rotate_left(29);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            h = (h ^ u64::from_le_bytes(word))
                .wrapping_mul(K)
                .rotate_left(29);
        }
        fmix64(h)
    }
}

/// `MurmurHash3`'s finaliser: every input bit affects every output bit.
fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Passes an already well-mixed `u64` key through unchanged.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Handles of strings stored elsewhere, found by the strings' hash; the caller says whether
/// the string behind a handle is the one looked for, so the index stays exact when two
/// strings share a hash (the second goes to a short list of clashes).
#[derive(Debug, Clone, Default)]
pub(super) struct StrIndex {
    by_hash: HashMap<u64, u64, BuildHasherDefault<Identity>>,
    clashes: Vec<(u64, u64)>,
}

impl StrIndex {
    /// The handle of the string with hash `h` for which `is` says yes.
    pub(super) fn get(&self, h: u64, is: impl Fn(u64) -> bool) -> Option<u64> {
        if let Some(&v) = self.by_hash.get(&h)
            && is(v)
        {
            return Some(v);
        }
        if self.clashes.is_empty() {
            return None;
        }
        self.clashes
            .iter()
            .find(|&&(c, v)| c == h && is(v))
            .map(|&(_, v)| v)
    }

    /// Adds handle `v` of a string with hash `h` (not already in the index).
    pub(super) fn insert(&mut self, h: u64, v: u64) {
        match self.by_hash.entry(h) {
            Entry::Vacant(e) => {
                e.insert(v);
            }
            Entry::Occupied(_) => self.clashes.push((h, v)),
        }
    }

    /// Removes handle `v` of a string with hash `h`.
    pub(super) fn remove(&mut self, h: u64, v: u64) {
        if self.by_hash.get(&h) == Some(&v) {
            match self.clashes.iter().position(|&(c, _)| c == h) {
                Some(i) => {
                    let (_, next) = self.clashes.swap_remove(i);
                    self.by_hash.insert(h, next);
                }
                None => {
                    self.by_hash.remove(&h);
                }
            }
        } else if let Some(i) = self.clashes.iter().position(|&c| c == (h, v)) {
            self.clashes.swap_remove(i);
        }
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.by_hash.len() + self.clashes.len()
    }

    pub(super) fn clear(&mut self) {
        self.by_hash.clear();
        self.clashes.clear();
    }
}

/// The most recently evicted ids, up to a cap, forgetting the oldest: the ids are moved in,
/// not copied, and found through a [`StrIndex`] of their place in the ring.
#[derive(Debug, Clone)]
pub(super) struct EvictedIds {
    ring: VecDeque<String>,
    /// Sequence number of `ring[0]`.
    first: u64,
    index: StrIndex,
    cap: usize,
}

impl EvictedIds {
    pub(super) fn new(cap: usize) -> Self {
        Self {
            ring: VecDeque::new(),
            first: 0,
            index: StrIndex::default(),
            cap,
        }
    }

    /// Whether `id` (of hash `h`) is remembered.
    pub(super) fn contains(&self, h: u64, id: &str) -> bool {
        self.index.get(h, |seq| self.at(seq) == Some(id)).is_some()
    }

    /// Remembers `id` (of hash `hash.of(id)`), forgetting the oldest beyond the cap.
    pub(super) fn insert(&mut self, hash: StrHash, h: u64, id: String) {
        if self.cap == 0 || self.contains(h, &id) {
            return;
        }
        let seq = self.first + self.ring.len() as u64;
        self.ring.push_back(id);
        self.index.insert(h, seq);
        while self.ring.len() > self.cap {
            if let Some(old) = self.ring.pop_front() {
                self.index.remove(hash.of(&old), self.first);
                self.first += 1;
            }
        }
    }

    fn at(&self, seq: u64) -> Option<&str> {
        let i = usize::try_from(seq.checked_sub(self.first)?).ok()?;
        self.ring.get(i).map(String::as_str)
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.ring.len()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;
    use crate::domain::logbuf::RecentIds;

    proptest! {
        /// With a hash of a few values only (so most strings clash), the index still finds
        /// exactly the handles a map of the strings themselves holds.
        #[test]
        fn index_is_exact_when_hashes_clash(
            ops in proptest::collection::vec((any::<bool>(), 0u8..40), 1..300),
        ) {
            let names: Vec<String> = (0..40).map(|i| format!("id-{i}")).collect();
            let weak = |s: &str| (s.len() % 3) as u64;
            let mut index = StrIndex::default();
            let mut model: HashMap<String, u64> = HashMap::new();
            let mut next = 0u64;
            for (add, n) in ops {
                let name = &names[usize::from(n)];
                let h = weak(name);
                let is = |v: u64| model.iter().any(|(k, &m)| m == v && k == name);
                prop_assert_eq!(index.get(h, is), model.get(name).copied());
                match (add, model.get(name).copied()) {
                    (true, None) => {
                        index.insert(h, next);
                        model.insert(name.clone(), next);
                        next += 1;
                    }
                    (false, Some(v)) => {
                        index.remove(h, v);
                        model.remove(name);
                    }
                    _ => {}
                }
                prop_assert_eq!(index.len(), model.len());
                for (k, &v) in &model {
                    prop_assert_eq!(index.get(weak(k), |w| w == v), Some(v));
                }
            }
        }

        /// The ring of evicted ids remembers what a set of the latest ids remembers.
        #[test]
        fn evicted_ids_remember_the_latest(
            ids in proptest::collection::vec(0u16..200, 0..400),
            cap in 0usize..50,
        ) {
            let hash = StrHash::random();
            let mut ring = EvictedIds::new(cap);
            let mut model = RecentIds::new(cap);
            for id in ids {
                let id = format!("{id:05}");
                ring.insert(hash, hash.of(&id), id.clone());
                model.insert(&id);
                prop_assert_eq!(ring.len(), model.len());
                for probe in 0u16..200 {
                    let probe = format!("{probe:05}");
                    prop_assert_eq!(
                        ring.contains(hash.of(&probe), &probe),
                        model.set.contains(&probe)
                    );
                }
            }
        }
    }

    #[test]
    fn hash_depends_on_every_byte_and_the_seed() {
        let hash = StrHash(7);
        let base = "49876543210987654321098765432109876543210987654321098765";
        let mut seen = std::collections::HashSet::new();
        assert!(seen.insert(hash.of(base)));
        for i in 0..base.len() {
            let mut changed = base.as_bytes().to_vec();
            changed[i] ^= 1;
            let changed = String::from_utf8(changed).unwrap_or_default();
            assert!(seen.insert(hash.of(&changed)), "byte {i}");
        }
        assert!(seen.insert(hash.of(&base[..55])));
        assert!(seen.insert(hash.of("")));
        assert_ne!(StrHash(8).of(base), hash.of(base));
    }
}
