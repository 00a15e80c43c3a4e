//! Registers the Sprig families implemented in this directory's second half: lists, dicts,
//! math, encoding, crypto/PKI, random values, dates and network lookups.

use super::FuncMap;

/// Add every function of these families to `map` under the names Helm's Sprig uses.
pub fn register_sprig_b(map: &mut FuncMap) {
    super::lists::register(map);
    super::dicts::register(map);
    super::math::register(map);
    super::encoding::register(map);
    super::crypto::register(map);
    super::random::register(map);
    super::dates::register(map);
    super::network::register(map);
}
