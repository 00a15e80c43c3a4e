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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name Helm 4 gets from Sprig v3.3.0's `genericMap` in these families.
    const HELM_NAMES: &[&str] = &[
        // lists
        "list",
        "tuple",
        "append",
        "push",
        "mustAppend",
        "mustPush",
        "prepend",
        "mustPrepend",
        "first",
        "mustFirst",
        "rest",
        "mustRest",
        "last",
        "mustLast",
        "initial",
        "mustInitial",
        "reverse",
        "mustReverse",
        "uniq",
        "mustUniq",
        "without",
        "mustWithout",
        "has",
        "mustHas",
        "compact",
        "mustCompact",
        "slice",
        "mustSlice",
        "concat",
        "chunk",
        "mustChunk",
        // dicts
        "dict",
        "get",
        "set",
        "unset",
        "hasKey",
        "pluck",
        "keys",
        "values",
        "pick",
        "omit",
        "merge",
        "mustMerge",
        "mergeOverwrite",
        "mustMergeOverwrite",
        "deepCopy",
        "mustDeepCopy",
        "dig",
        // math
        "add",
        "add1",
        "sub",
        "mul",
        "div",
        "mod",
        "max",
        "biggest",
        "min",
        "addf",
        "add1f",
        "subf",
        "mulf",
        "divf",
        "maxf",
        "minf",
        "floor",
        "ceil",
        "round",
        "until",
        "untilStep",
        "seq",
        // encoding and hashing
        "b64enc",
        "b64dec",
        "b32enc",
        "b32dec",
        "sha1sum",
        "sha256sum",
        "sha512sum",
        "adler32sum",
        "bcrypt",
        "htpasswd",
        "derivePassword",
        "encryptAES",
        "decryptAES",
        // crypto
        "genPrivateKey",
        "genCA",
        "genCAWithKey",
        "genSelfSignedCert",
        "genSelfSignedCertWithKey",
        "genSignedCert",
        "genSignedCertWithKey",
        "buildCustomCert",
        // random
        "randAlphaNum",
        "randAlpha",
        "randNumeric",
        "randAscii",
        "randBytes",
        "randInt",
        "uuidv4",
        "shuffle",
        // dates
        "now",
        "date",
        "dateInZone",
        "date_in_zone",
        "htmlDate",
        "htmlDateInZone",
        "dateModify",
        "date_modify",
        "mustDateModify",
        "must_date_modify",
        "ago",
        "duration",
        "durationRound",
        "toDate",
        "mustToDate",
        "unixEpoch",
        // network
        "getHostByName",
    ];

    #[test]
    fn registers_every_helm_name_of_these_families() {
        let mut map = FuncMap::new();
        register_sprig_b(&mut map);
        let missing: Vec<&str> = HELM_NAMES
            .iter()
            .copied()
            .filter(|n| !map.contains(n))
            .collect();
        assert!(missing.is_empty(), "missing: {missing:?}");
        assert_eq!(map.names().count(), HELM_NAMES.len());
    }
}
