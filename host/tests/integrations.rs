//! A CRM's own objects, over real HTTP on both backends: a HubSpot contact
//! and a Salesforce Lead (`tests/fixtures/crm`, in the shapes their public
//! API docs show) scored through the shipped presets give exactly the answer
//! of the same lead written as lead JSON, on the sync, batch and async paths;
//! a value that cannot be coerced is a 400 naming the CRM field and the lead
//! field; a tenant's own mapping with picklist maps; mappings that cannot
//! work are refused naming where.

mod common;

use common::Backend;

use serde_json::{Value, json};

/// A service with v12, v11 and rules-v1; returns its URL (and the store, kept alive).
async fn spawn_app(backend: Backend) -> (String, tempfile::TempDir) {
    let store = tempfile::tempdir().unwrap();
    let settings = common::settings(common::all_versions_dir(), store.path(), backend.backends().await, 2);
    (common::spawn(settings).await, store)
}

fn fixture(name: &str) -> Value {
    let path = common::workspace().join("host/tests/fixtures/crm").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn unique(name: &str) -> String {
    format!("{name}-{}", uuid::Uuid::new_v4().simple())
}

use common::send_json as send;

on_both_backends!(
    crm_objects_score_exactly_as_the_same_lead_in_lead_json,
    a_crm_value_that_cannot_be_read_is_a_400_naming_both_fields,
    a_tenants_own_mapping_translates_picklists_and_bad_mappings_are_refused,
);

async fn crm_objects_score_exactly_as_the_same_lead_in_lead_json(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let client = common::client_as(&unique("acme"));
    for preset in ["hubspot", "salesforce"] {
        let (status, view) =
            send(client.put(format!("{url}/integrations/mapping")).json(&json!({"preset": preset}))).await;
        assert_eq!(status, 200, "{view}");
        assert_eq!(view["preset"], preset);
        assert_eq!(view["unmapped"], json!([]), "the preset maps every field the models read: {view}");
        assert_eq!(view["model_fields"]["employees"]["kind"], "number");

        let file = if preset == "hubspot" { "hubspot-contact" } else { "salesforce-lead" };
        let object = fixture(&format!("{file}.json"));
        let lead = fixture(&format!("{file}.lead.json"));

        // Sync, one lead.
        let (status, by_crm) =
            send(client.post(format!("{url}/score-lead")).json(&json!({"crm_object": object}))).await;
        assert_eq!(status, 200, "{preset}: {by_crm}");
        let (status, by_lead) = send(client.post(format!("{url}/score-lead")).json(&lead)).await;
        assert_eq!(status, 200, "{by_lead}");
        assert_eq!(by_crm, by_lead, "{preset}: the CRM object scores as its lead JSON");
        let unseen = by_crm["notes"].as_array().into_iter().flatten().filter(|n| n["kind"] == "unseen_category");
        assert_eq!(unseen.count(), 0, "every picklist value was translated: {by_crm}");

        // Sync batch: a CRM object beside lead JSON.
        let batch = json!({"leads": [{"crm_object": object}, lead]});
        let (status, answer) = send(client.post(format!("{url}/score-lead/batch")).json(&batch)).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["results"][0], answer["results"][1]);
        assert_eq!(answer["results"][0]["final_score"], by_lead["final_score"]);

        // Async: the lead JSON read from the object is what is stored and scored.
        let (status, accepted) =
            send(client.post(format!("{url}/leads/score")).json(&json!({"crm_object": object}))).await;
        assert_eq!(status, 202, "{accepted}");
        let done = common::finished(&client, &url, accepted["request_id"].as_str().unwrap()).await;
        assert_eq!(done["status"], "SUCCESS", "{done}");
        assert_eq!(done["lead_id"], lead["id"]);
        assert_eq!(done["result"]["score"], by_lead["final_score"]);
        assert_eq!(done["result"]["explanation"]["margin"], by_lead["margin"]);
        let detail = common::get_json(&client, &format!("{url}/leads/{}", lead["id"].as_str().unwrap())).await;
        assert_eq!(detail["context"]["fields"]["employees"].as_f64(), lead["fields"]["employees"].as_f64(), "{detail}");
    }
}

async fn a_crm_value_that_cannot_be_read_is_a_400_naming_both_fields(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let client = common::client_as(&unique("acme"));
    let mut object = fixture("hubspot-contact.json");

    // No mapping yet: said so, on every path.
    let (status, error) = send(client.post(format!("{url}/score-lead")).json(&json!({"crm_object": object}))).await;
    assert_eq!((status, error["error"]["code"].as_str()), (400, Some("no_mapping")), "{error}");
    let (status, error) = send(client.post(format!("{url}/leads/score")).json(&json!({"crm_object": object}))).await;
    assert_eq!((status, error["error"]["code"].as_str()), (400, Some("no_mapping")), "{error}");

    let (status, _) = send(client.put(format!("{url}/integrations/mapping")).json(&json!({"preset": "hubspot"}))).await;
    assert_eq!(status, 200);
    object["properties"]["numemployees"] = json!("1,000+");
    for path in ["/score-lead", "/leads/score"] {
        let (status, error) = send(client.post(format!("{url}{path}")).json(&json!({"crm_object": object}))).await;
        assert_eq!(status, 400, "{path}: {error}");
        assert_eq!(error["error"]["code"], "invalid_crm_object");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("crm_object.properties.numemployees") && message.contains("fields.employees"),
            "{path}: {message}"
        );
    }
    // In a batch, that lead's error only.
    let good = fixture("hubspot-contact.json");
    let batch = json!({"leads": [{"crm_object": object}, {"crm_object": good}]});
    let (status, answer) = send(client.post(format!("{url}/score-lead/batch")).json(&batch)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"][0]["error"]["code"], "invalid_crm_object", "{answer}");
    assert!(answer["results"][1]["final_score"].is_number(), "{answer}");

    // A time that is no time, and a lead id that disagrees with the object's.
    let mut stale = good.clone();
    stale["updatedAt"] = json!("15/06/2026");
    let (status, error) = send(client.post(format!("{url}/score-lead")).json(&json!({"crm_object": stale}))).await;
    assert_eq!(status, 400);
    assert!(error["error"]["message"].as_str().unwrap().contains("crm_object.updatedAt (lead field as_of)"), "{error}");
    let body = json!({"lead_id": "another", "crm_object": good});
    let (status, error) = send(client.post(format!("{url}/leads/score")).json(&body)).await;
    assert_eq!(status, 400, "{error}");
    // Both forms at once, or neither.
    let lead = fixture("hubspot-contact.lead.json");
    let body = json!({"lead_id": "51", "context": lead, "crm_object": good});
    let (status, error) = send(client.post(format!("{url}/leads/score")).json(&body)).await;
    assert_eq!(status, 400, "{error}");
    let (status, error) = send(client.post(format!("{url}/leads/score")).json(&json!({"lead_id": "51"}))).await;
    assert_eq!(status, 400, "{error}");
}

async fn a_tenants_own_mapping_translates_picklists_and_bad_mappings_are_refused(backend: Backend) {
    let (url, _store) = spawn_app(backend).await;
    let client = common::client_as(&unique("acme"));
    let (status, view) = send(client.get(format!("{url}/integrations/mapping"))).await;
    assert_eq!(status, 200);
    assert_eq!(view["mapping"], Value::Null);
    assert!(view["model_fields"]["industry"]["categories"].as_array().unwrap().contains(&json!("software")));

    let mapping = json!({
        "id": "record.key",
        "as_of": "record.modified_ms",
        "fields": {
            "employees": "record.headcount",
            "industry": {"path": "record.sector", "map": {"SaaS": "software", "Banks": "finance"}},
            "annual_revenue_musd": {"path": "record.revenue_usd", "divide_by": 1e6},
        }
    });
    let (status, view) = send(client.put(format!("{url}/integrations/mapping")).json(&mapping)).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["preset"], Value::Null);
    assert!(view["unmapped"].as_array().unwrap().contains(&json!("seniority")), "{view}");
    let (_, again) = send(client.get(format!("{url}/integrations/mapping"))).await;
    assert_eq!(again["mapping"], mapping);

    let object = json!({"record": {"key": 7071, "modified_ms": "1781526457000", "headcount": "250",
        "sector": "SaaS", "revenue_usd": 12500000}});
    let lead = json!({"id": "7071", "as_of": "2026-06-15T12:27:37Z",
        "fields": {"employees": 250, "industry": "software", "annual_revenue_musd": 12.5}});
    let (status, by_crm) = send(client.post(format!("{url}/score-lead")).json(&json!({"crm_object": object}))).await;
    assert_eq!(status, 200, "{by_crm}");
    let (_, by_lead) = send(client.post(format!("{url}/score-lead")).json(&lead)).await;
    assert_eq!(by_crm, by_lead);

    // A value the picklist map does not list passes through, and the score says the model does not know it.
    let mut unknown = object.clone();
    unknown["record"]["sector"] = json!("Aerospace");
    let (status, scored) = send(client.post(format!("{url}/score-lead")).json(&json!({"crm_object": unknown}))).await;
    assert_eq!(status, 200, "{scored}");
    let notes = scored["notes"].as_array().unwrap();
    assert!(notes.iter().any(|n| n["kind"] == "unseen_category" && n["value"] == "Aerospace"), "{scored}");

    // Mappings that cannot work, each refused naming where.
    for (bad, names) in [
        (json!({"fields": {}}), "id"),
        (json!({"id": "a..b", "fields": {}}), "id"),
        (json!({"id": "a", "fields": {"x": {"path": "a", "divide_by": -1}}}), "fields.x.divide_by"),
        (json!({"id": "a", "fields": {"x": {"map": {}}}}), "fields.x"),
        (json!({"id": "a", "fields": {"x": 3}}), "fields.x"),
        (json!({"preset": "pipedrive"}), "preset"),
    ] {
        let (status, error) = send(client.put(format!("{url}/integrations/mapping")).json(&bad)).await;
        assert_eq!(status, 400, "{bad}: {error}");
        assert_eq!(error["error"]["code"], "invalid_mapping");
        assert!(error["error"]["message"].as_str().unwrap().contains(names), "{bad}: {error}");
    }
    let (_, still) = send(client.get(format!("{url}/integrations/mapping"))).await;
    assert_eq!(still["mapping"], mapping, "a refused mapping changes nothing");
}
