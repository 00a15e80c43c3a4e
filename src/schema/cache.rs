//! Memoisation of per-document work across the renders of one lint run.
//!
//! `opm lint` renders a chart many times (default values, every values-matrix file, each
//! feature toggle flipped) and validates every render; most documents come out identical in
//! all of them. Results that depend only on a document and a schema (violations, compiled
//! CRDs) are therefore kept by document *content*: two documents are the same key when
//! they are structurally identical (same variants, same map keys in the same order, same
//! scalars bit for bit), whichever render produced them. Renders share parsed documents
//! when their text is identical, so the common case is found by pointer first, without
//! walking the document.
//!
//! Every cached document is kept alive by the cache, so a pointer key can never be taken
//! by another document after the first is dropped.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use crate::template::Value;

/// The identity of a shared document node (maps and lists are reference-counted).
fn pointer(v: &Value) -> Option<usize> {
    match v {
        Value::Map(m) => Some(Rc::as_ptr(m) as *const () as usize),
        Value::List(l) => Some(Rc::as_ptr(l) as *const () as usize),
        _ => None,
    }
}

/// A structural hash of a document: equal documents (see [`same`]) hash equally.
pub fn fingerprint(v: &Value) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    hash_into(v, &mut h);
    h.finish()
}

fn hash_into(v: &Value, h: &mut impl Hasher) {
    match v {
        Value::Nil => 0u8.hash(h),
        Value::Bool(b) => {
            1u8.hash(h);
            b.hash(h);
        }
        Value::Int(i, _) => {
            2u8.hash(h);
            i.hash(h);
        }
        Value::Float(f) => {
            3u8.hash(h);
            f.to_bits().hash(h);
        }
        Value::String(s) => {
            4u8.hash(h);
            s.hash(h);
        }
        Value::Bytes(b) => {
            5u8.hash(h);
            b.hash(h);
        }
        Value::List(items) => {
            6u8.hash(h);
            items.len().hash(h);
            for item in items.iter() {
                hash_into(item, h);
            }
        }
        Value::Map(m) => {
            7u8.hash(h);
            let m = m.borrow();
            m.len().hash(h);
            for (k, v) in m.iter() {
                k.hash(h);
                hash_into(v, h);
            }
        }
        // Parsed documents hold no Go objects; one would only ever equal itself.
        Value::Object(o) => {
            8u8.hash(h);
            (Rc::as_ptr(o) as *const () as usize).hash(h);
        }
    }
}

/// Strict structural equality: what [`fingerprint`] promises to respect. Stricter than
/// the validator's own `deep_equals` (an integer never equals a float here), since a
/// cached result must be exactly the result the other document would have produced.
pub fn same(a: &Value, b: &Value) -> bool {
    if let (Some(p), Some(q)) = (pointer(a), pointer(b)) {
        if p == q {
            return true;
        }
    }
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x, _), Value::Int(y, _)) => x == y,
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| same(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((kx, vx), (ky, vy))| kx == ky && same(vx, vy))
        }
        (Value::Object(x), Value::Object(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

/// Results of type `T` by (document content, `aux`): `aux` names what else the result
/// depends on (the identity of the schema a document was validated against).
pub struct ContentCache<T> {
    /// (document pointer, aux) → entry.
    by_pointer: HashMap<(usize, usize), usize>,
    /// (fingerprint, aux) → entries with that fingerprint.
    by_content: HashMap<(u64, usize), Vec<usize>>,
    /// The documents (kept alive: their pointers are keys) and results.
    entries: Vec<(Value, T)>,
    /// Documents only reachable through `by_pointer` aliases, kept alive for the same reason.
    aliases: Vec<Value>,
}

impl<T> Default for ContentCache<T> {
    fn default() -> Self {
        ContentCache {
            by_pointer: HashMap::new(),
            by_content: HashMap::new(),
            entries: Vec::new(),
            aliases: Vec::new(),
        }
    }
}

/// The outcome of [`ContentCache::lookup`].
pub enum Lookup<T> {
    Hit(T),
    /// Not cached; the document's fingerprint, for [`ContentCache::insert`].
    Miss(u64),
}

impl<T: Clone> ContentCache<T> {
    /// The cached result for `doc` and `aux`, if a document with this content was seen.
    pub fn lookup(&mut self, doc: &Value, aux: usize) -> Lookup<T> {
        let ptr = pointer(doc);
        if let Some(p) = ptr {
            if let Some((_, hit)) = self
                .by_pointer
                .get(&(p, aux))
                .and_then(|&i| self.entries.get(i))
            {
                return Lookup::Hit(hit.clone());
            }
        }
        let print = fingerprint(doc);
        let found = self.by_content.get(&(print, aux)).and_then(|candidates| {
            candidates.iter().find_map(|&i| {
                self.entries
                    .get(i)
                    .filter(|(d, _)| same(d, doc))
                    .map(|(_, r)| (i, r.clone()))
            })
        });
        match found {
            Some((i, hit)) => {
                if let Some(p) = ptr {
                    self.aliases.push(doc.clone());
                    self.by_pointer.insert((p, aux), i);
                }
                Lookup::Hit(hit)
            }
            None => Lookup::Miss(print),
        }
    }

    /// Record the result for `doc` and `aux` after a [`Lookup::Miss`] with `print`.
    pub fn insert(&mut self, doc: &Value, aux: usize, print: u64, result: T) {
        self.entries.push((doc.clone(), result));
        let i = self.entries.len() - 1;
        self.by_content.entry((print, aux)).or_default().push(i);
        if let Some(p) = pointer(doc) {
            self.by_pointer.insert((p, aux), i);
        }
    }

    /// [`lookup`](Self::lookup), then `compute` and [`insert`](Self::insert) on a miss.
    /// `compute` runs while the cache is borrowed: it must not use this cache.
    pub fn get_or_insert_with(
        &mut self,
        doc: &Value,
        aux: usize,
        compute: impl FnOnce() -> T,
    ) -> T {
        match self.lookup(doc, aux) {
            Lookup::Hit(hit) => hit,
            Lookup::Miss(print) => {
                let result = compute();
                self.insert(doc, aux, print, result.clone());
                result
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Value {
        crate::yaml::load_str(text, "t.yaml").unwrap()
    }

    #[test]
    fn equal_content_is_one_entry_and_types_matter() {
        let a = doc("a: 1\nb: [x, {c: true}]\n");
        let b = doc("a: 1\nb: [x, {c: true}]\n");
        let c = doc("a: 2\nb: [x, {c: true}]\n");
        assert!(same(&a, &b));
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert!(!same(&a, &c));
        assert!(!same(&Value::int(1), &Value::Float(1.0)));

        let mut cache: ContentCache<u32> = ContentCache::default();
        let mut calls = 0;
        let mut get = |cache: &mut ContentCache<u32>, v: &Value, aux: usize| {
            cache.get_or_insert_with(v, aux, || {
                calls += 1;
                calls
            })
        };
        assert_eq!(get(&mut cache, &a, 0), 1);
        assert_eq!(get(&mut cache, &b, 0), 1);
        assert_eq!(get(&mut cache, &a, 0), 1);
        assert_eq!(get(&mut cache, &c, 0), 2);
        // Another schema identity is another result.
        assert_eq!(get(&mut cache, &a, 7), 3);
    }
}
