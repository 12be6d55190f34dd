//! The mappings we ship: a HubSpot contact (CRM API v3) and a Salesforce
//! Lead (REST API sObject), with picklist maps from their standard values to
//! our models' categories. A value a map does not list passes through (the
//! score's data notes say when the model does not know it).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{FieldMapping, Mapping, Preset, Translation};

impl Preset {
    /// The preset's mapping, for the lead fields our models read (and the
    /// name and company the UI shows). Fields without a standard CRM field
    /// (whether the lead uses a competitor; seniority in Salesforce) read a
    /// custom field of the name the README gives.
    pub fn mapping(self) -> Mapping {
        let path = |p: &str| FieldMapping::Path(p.into());
        let mapped = |p: &str, pairs: &[(&str, &str)]| {
            FieldMapping::Translated(Translation {
                path: Some(p.into()),
                join: None,
                map: Some(pairs.iter().map(|(k, v)| (k.to_string(), Value::String(v.to_string()))).collect()),
                divide_by: None,
            })
        };
        let millions = |p: &str| {
            FieldMapping::Translated(Translation {
                path: Some(p.into()),
                join: None,
                map: None,
                divide_by: Some(1_000_000.0),
            })
        };
        let mut fields = BTreeMap::new();
        match self {
            Preset::Hubspot => {
                let name = Translation {
                    path: None,
                    join: Some(vec!["properties.firstname".into(), "properties.lastname".into()]),
                    map: None,
                    divide_by: None,
                };
                fields.insert("name".into(), FieldMapping::Translated(name));
                fields.insert("company".into(), path("properties.company"));
                fields.insert("employees".into(), path("properties.numemployees"));
                fields.insert("annual_revenue_musd".into(), millions("properties.annualrevenue"));
                fields.insert("industry".into(), mapped("properties.industry", HUBSPOT_INDUSTRIES));
                fields.insert("lead_source".into(), mapped("properties.hs_analytics_source", HUBSPOT_SOURCES));
                fields.insert("seniority".into(), mapped("properties.hs_seniority", HUBSPOT_SENIORITY));
                fields.insert("region".into(), mapped("properties.country", COUNTRY_REGIONS));
                fields.insert("uses_competitor".into(), path("properties.uses_competitor"));
                Mapping { id: "id".into(), as_of: Some("updatedAt".into()), fields }
            }
            Preset::Salesforce => {
                fields.insert("name".into(), path("Name"));
                fields.insert("company".into(), path("Company"));
                fields.insert("employees".into(), path("NumberOfEmployees"));
                fields.insert("annual_revenue_musd".into(), millions("AnnualRevenue"));
                fields.insert("industry".into(), mapped("Industry", SALESFORCE_INDUSTRIES));
                fields.insert("lead_source".into(), mapped("LeadSource", SALESFORCE_SOURCES));
                fields.insert("seniority".into(), mapped("Seniority__c", SALESFORCE_SENIORITY));
                fields.insert("region".into(), mapped("Country", COUNTRY_REGIONS));
                fields.insert("uses_competitor".into(), path("Uses_Competitor__c"));
                Mapping { id: "Id".into(), as_of: Some("LastModifiedDate".into()), fields }
            }
        }
    }
}

impl Preset {
    /// Its name in the API (`hubspot`).
    pub fn name(self) -> &'static str {
        match self {
            Preset::Hubspot => "hubspot",
            Preset::Salesforce => "salesforce",
        }
    }
}

// HubSpot's industry values (the company property's options, which many
// portals copy to contacts) → our model's industries.
const HUBSPOT_INDUSTRIES: &[(&str, &str)] = &[
    ("COMPUTER_SOFTWARE", "software"),
    ("INFORMATION_TECHNOLOGY_AND_SERVICES", "software"),
    ("INTERNET", "software"),
    ("FINANCIAL_SERVICES", "finance"),
    ("BANKING", "finance"),
    ("INSURANCE", "finance"),
    ("HOSPITAL_HEALTH_CARE", "healthcare"),
    ("MEDICAL_DEVICES", "healthcare"),
    ("RETAIL", "retail"),
    ("MACHINERY", "manufacturing"),
    ("INDUSTRIAL_AUTOMATION", "manufacturing"),
    ("EDUCATION_MANAGEMENT", "education"),
    ("HIGHER_EDUCATION", "education"),
    ("GOVERNMENT_ADMINISTRATION", "government"),
];

// HubSpot's original source (`hs_analytics_source`) → our lead sources;
// EMAIL_MARKETING, OTHER_CAMPAIGNS and the like pass through (the score
// notes that the model does not know them).
const HUBSPOT_SOURCES: &[(&str, &str)] = &[
    ("ORGANIC_SEARCH", "web"),
    ("PAID_SEARCH", "web"),
    ("DIRECT_TRAFFIC", "web"),
    ("SOCIAL_MEDIA", "web"),
    ("PAID_SOCIAL", "web"),
    ("REFERRALS", "referral"),
    ("OFFLINE", "event"),
];

// HubSpot's `hs_seniority` → our seniority levels.
const HUBSPOT_SENIORITY: &[(&str, &str)] = &[
    ("owner", "executive"),
    ("founder", "executive"),
    ("c_suite", "executive"),
    ("partner", "executive"),
    ("vp", "vp"),
    ("head", "director"),
    ("director", "director"),
    ("manager", "manager"),
    ("senior", "individual"),
    ("entry", "individual"),
    ("intern", "individual"),
    ("employee", "individual"),
];

// Salesforce's standard Industry picklist → our model's industries.
const SALESFORCE_INDUSTRIES: &[(&str, &str)] = &[
    ("Technology", "software"),
    ("Banking", "finance"),
    ("Finance", "finance"),
    ("Insurance", "finance"),
    ("Healthcare", "healthcare"),
    ("Biotechnology", "healthcare"),
    ("Retail", "retail"),
    ("Manufacturing", "manufacturing"),
    ("Machinery", "manufacturing"),
    ("Education", "education"),
    ("Government", "government"),
];

// Salesforce's standard LeadSource picklist (and common additions).
const SALESFORCE_SOURCES: &[(&str, &str)] = &[
    ("Web", "web"),
    ("Partner Referral", "partner"),
    ("Partner", "partner"),
    ("Employee Referral", "referral"),
    ("External Referral", "referral"),
    ("Trade Show", "event"),
    ("Seminar - Internal", "event"),
    ("Purchased List", "outbound"),
    ("Cold Call", "outbound"),
];

// A Salesforce seniority picklist (a custom field: Lead has none) as admins
// commonly define it.
const SALESFORCE_SENIORITY: &[(&str, &str)] = &[
    ("C-Level", "executive"),
    ("Executive", "executive"),
    ("Owner", "executive"),
    ("VP", "vp"),
    ("Vice President", "vp"),
    ("Director", "director"),
    ("Head", "director"),
    ("Manager", "manager"),
    ("Individual Contributor", "individual"),
    ("Individual", "individual"),
    ("Staff", "individual"),
];

// Countries as CRMs write them → our model's regions.
const COUNTRY_REGIONS: &[(&str, &str)] = &[
    ("United States", "north_america"),
    ("USA", "north_america"),
    ("US", "north_america"),
    ("Canada", "north_america"),
    ("United Kingdom", "europe"),
    ("UK", "europe"),
    ("Germany", "europe"),
    ("France", "europe"),
    ("Netherlands", "europe"),
    ("Spain", "europe"),
    ("Italy", "europe"),
    ("Sweden", "europe"),
    ("Ireland", "europe"),
    ("Switzerland", "europe"),
    ("Poland", "europe"),
    ("Australia", "apac"),
    ("New Zealand", "apac"),
    ("Japan", "apac"),
    ("India", "apac"),
    ("Singapore", "apac"),
    ("China", "apac"),
    ("South Korea", "apac"),
    ("Brazil", "latam"),
    ("Mexico", "latam"),
    ("Argentina", "latam"),
    ("Chile", "latam"),
    ("Colombia", "latam"),
    ("Peru", "latam"),
];
