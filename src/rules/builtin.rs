//! The built-in packs, compiled in from `src/rules/packs/`.

use super::{Pack, RulesError, load};

const DEFAULT: &str = include_str!("packs/default.toml");
const SEED: &str = include_str!("packs/seed.toml");

pub(super) fn source(name: &str) -> Option<&'static str> {
    match name {
        "default" => Some(DEFAULT),
        "seed" => Some(SEED),
        _ => None,
    }
}

pub(super) fn pack(name: &str) -> Result<Pack, RulesError> {
    let text = source(name).ok_or_else(|| {
        RulesError::new(
            &format!("builtin:{name}"),
            "no such built-in pack (default, seed)",
        )
    })?;
    load::from_toml(&format!("builtin:{name}"), text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_packs_load() {
        for name in Pack::BUILTIN {
            let p = pack(name).unwrap();
            assert_eq!(p.name, name);
            assert_eq!(p.source, format!("builtin:{name}"));
        }
        assert_eq!(
            pack("nope").unwrap_err().to_string(),
            "builtin:nope: no such built-in pack (default, seed)"
        );
    }
}
