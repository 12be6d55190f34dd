//! Routing: sticky A/B splits, per-request versions, and a fallback chain
//! that really takes over when a real component fails.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use leadscore::runtime::component::{Runtime, RuntimeConfig};
use leadscore::runtime::routing::{Router, Routing, RoutingError, Weighted};

fn routing(split: &[(&str, u32)]) -> Routing {
    Routing {
        active: "v12".into(),
        split: split.iter().map(|&(v, w)| Weighted { version: v.into(), weight: w }).collect(),
        fallback: vec!["v11".into(), "rules-v1".into()],
        shadow: None,
        bands: None,
    }
}

#[test]
fn a_split_is_sticky_per_lead_and_follows_the_weights() {
    let r = routing(&[("v12", 90), ("v13", 10)]);
    let ids: Vec<String> = (0..20_000).map(|i| format!("lead-{i}")).collect();
    let v13 = ids.iter().filter(|id| r.primary(id) == "v13").count() as f64 / ids.len() as f64;
    assert!((0.08..0.12).contains(&v13), "v13 gets about 10 %: {v13}");
    for id in &ids[..100] {
        assert_eq!(r.primary(id), r.clone().primary(id), "the same lead always lands on the same side");
    }
    assert_eq!(routing(&[]).primary("anyone"), "v12", "without a split the active version answers");
}

#[test]
fn a_plan_tries_the_requested_version_first_then_the_fallbacks_once_each() {
    let r = routing(&[]);
    assert_eq!(r.plan("lead-1", None), ["v12", "v11", "rules-v1"]);
    assert_eq!(r.plan("lead-1", Some("v11")), ["v11", "rules-v1"]);
    assert_eq!(r.plan("lead-1", Some("v10")), ["v10", "v11", "rules-v1"]);
}

#[test]
fn routings_naming_missing_versions_or_no_weight_are_refused() {
    let installed = ["v11", "v12", "rules-v1"];
    assert_eq!(routing(&[]).check(&installed), Ok(()));
    assert_eq!(routing(&[("v13", 5)]).check(&installed), Err(RoutingError::Unknown("v13".into())));
    assert_eq!(routing(&[("v12", 0), ("v11", 0)]).check(&installed), Err(RoutingError::NoWeight));
    assert_eq!(routing(&[("v12", 1), ("v12", 1)]).check(&installed), Err(RoutingError::Duplicate("v12".into())));
}

#[test]
fn routings_that_repeat_a_version_or_shadow_the_shown_one_are_refused() {
    let installed = ["v11", "v12", "rules-v1"];
    let with = |fallback: &[&str], shadow: Option<&str>| Routing {
        fallback: fallback.iter().map(|v| v.to_string()).collect(),
        shadow: shadow.map(String::from),
        ..routing(&[])
    };
    let twice = with(&["v11", "v11"], None);
    assert_eq!(twice.check(&installed), Err(RoutingError::DuplicateFallback("v11".into())));
    let own_fallback = with(&["v12", "v11"], None);
    assert_eq!(own_fallback.check(&installed), Err(RoutingError::ActiveInFallback("v12".into())));
    assert_eq!(with(&["v11"], Some("v12")).check(&installed), Err(RoutingError::ShadowShown("v12".into())));
    let split_shadow = Routing { shadow: Some("v11".into()), ..routing(&[("v12", 1), ("v11", 1)]) };
    assert_eq!(split_shadow.check(&installed), Err(RoutingError::ShadowShown("v11".into())));
    assert_eq!(with(&["v11", "rules-v1"], Some("rules-v1")).check(&installed), Ok(()), "a fallback may be the shadow");
}

#[test]
fn when_a_version_fails_the_next_in_the_chain_answers() {
    let normal = Runtime::new(RuntimeConfig::default()).unwrap();
    // v12 runs in a runtime with room for one instance, which the test holds:
    // a real component that cannot be instantiated when the lead arrives.
    let starved = Runtime::new(RuntimeConfig { max_instances: 1, ..RuntimeConfig::default() }).unwrap();
    let mut components = HashMap::new();
    components.insert("v12".to_string(), Arc::new(starved.load(&common::component_bytes("v12")).unwrap()));
    components.insert("v11".to_string(), Arc::new(normal.load(&common::component_bytes("v11")).unwrap()));
    components.insert("rules-v1".to_string(), Arc::new(normal.load(&common::component_bytes("rules-v1")).unwrap()));
    let router = Router::new(components, routing(&[]));
    let _occupied = router.components["v12"].instantiate(std::time::Duration::from_secs(60)).unwrap();

    let lead = common::sample_leads("models/sample-leads.jsonl", 1).remove(0);
    let routed = router.score(&lead, None, None).unwrap();
    assert_eq!((routed.version.as_str(), routed.fell_back), ("v11", true));
    assert_eq!(routed.result.unwrap().model_version, "v11");

    let routed = router.score(&lead, None, Some("rules-v1")).unwrap();
    assert_eq!((routed.version.as_str(), routed.fell_back), ("rules-v1", false));

    assert_eq!(routed.attempts.len(), 1);

    // A tenant with its own routing: only v12, which cannot answer.
    let mut with_tenant = router.clone();
    with_tenant.tenants.insert("acme".into(), Routing { fallback: vec![], ..routing(&[]) });
    let failed = with_tenant.score(&lead, Some("acme"), None).unwrap_err();
    assert_eq!(failed.0.len(), 1);
    assert_eq!(failed.0[0].failure.as_ref().map(|f| f.0), Some("other"));
    assert!(failed.to_string().contains("v12: "), "{failed}");
    // Other tenants keep the default routing and its fallbacks.
    let routed = with_tenant.score(&lead, Some("globex"), None).unwrap();
    assert_eq!((routed.version.as_str(), routed.attempts.len()), ("v11", 2));
}

#[test]
fn promoting_makes_the_shadow_active_and_keeps_the_old_version_as_first_fallback() {
    assert_eq!(routing(&[]).promoted(), None, "nothing to promote without a shadow");
    let with_shadow = Routing { shadow: Some("v13".into()), ..routing(&[("v12", 50), ("v11", 50)]) };
    assert!(with_shadow.names().any(|v| v == "v13"), "a shadow must be installed like any named version");
    let promoted = with_shadow.promoted().unwrap();
    assert_eq!(promoted.active, "v13");
    assert_eq!(promoted.fallback, ["v12", "v11", "rules-v1"]);
    assert!(promoted.split.is_empty() && promoted.shadow.is_none());
    // A shadow already in the fallback chain is not tried twice.
    let in_chain = Routing { shadow: Some("v11".into()), ..routing(&[]) };
    assert_eq!(in_chain.promoted().unwrap().fallback, ["v12", "rules-v1"]);
}
