//! Registration of the first half of Sprig as Helm exposes it: strings, regular expressions,
//! conversions, defaults and flow control, reflection, paths, semantic versions and URLs.
//! (`env` and `expandenv` are deliberately absent: Helm removes them.)

use super::{conversion, defaults, paths, reflect, regex, semver, strings, url, FuncMap};

/// Add every part-A Sprig function to `map`.
pub fn register_sprig_a(map: &mut FuncMap) {
    strings::register(map);
    regex::register(map);
    conversion::register(map);
    defaults::register(map);
    reflect::register(map);
    paths::register(map);
    semver::register(map);
    url::register(map);
}
