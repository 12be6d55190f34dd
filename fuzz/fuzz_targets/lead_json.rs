//! Lead JSON (`guest_model::load::lead_json`): any text is a lead or a clean
//! error. A lead that parses then goes through the feature pipeline of two
//! committed specs, as the host does before scoring.
#![no_main]

use std::sync::LazyLock;

use guest_model::features::{self, FeatureDef};
use guest_model::load::{lead_json, spec};
use libfuzzer_sys::fuzz_target;

static SPECS: LazyLock<Vec<Vec<FeatureDef>>> = LazyLock::new(|| {
    [include_str!("../../models/demo/features.toml"), include_str!("../../models/v12/features.toml")]
        .into_iter()
        .map(|text| spec::parse_spec(text).expect("a committed features.toml parses").features)
        .collect()
});

fuzz_target!(|data: &[u8]| {
    // Lossy, so that invalid UTF-8 still reaches the JSON parser.
    let text = String::from_utf8_lossy(data);
    let _ = lead_json::id_of(&text);
    let Ok(lead) = lead_json::parse(&text) else { return };
    for features in SPECS.iter() {
        if let Ok((row, values)) = features::compute(features, &lead) {
            assert_eq!(row.len(), features.len());
            assert_eq!(values.len(), features.len());
        }
    }
});
