/**
 * The API's request and response types, under the names the UI uses.
 *
 * They come from `api-schema.ts`, which `scripts/api-types` generates from
 * the host's OpenAPI document and nobody edits. This is the only file that
 * names the document's schemas: the rest of the UI (and the e2e specs)
 * imports API types from here, so a schema the host renames is renamed
 * here once. Types the UI makes up for itself (props, view state, chart
 * points, parsed metrics) live beside the code that uses them.
 */
import type { components } from './api-schema';

type Schemas = components['schemas'];

// ---- Errors ------------------------------------------------------------------

/** The body of every error response: `{error: {code, message}}`. */
export type ErrorBody = Schemas['ErrorBody'];

// ---- Leads, scores and their explanation -----------------------------------

/** `GET /leads`: a page of the work queue. */
export type WorkQueue = Schemas['WorkQueue'];
/** A lead in the work queue (score and band null in the control group). */
export type LeadRow = Schemas['LeadRow'];
/** A work-queue row with where its score is going: trend, recent scores (the sparkline), top reason. */
export type QueueLead = Schemas['QueueLead'];
/** Which way a lead's score is going. */
export type Trend = Schemas['Trend'];
/** `GET /leads/{lead_id}`: the lead's latest context, score and outcome. */
export type LeadDetail = Schemas['LeadDetail'];
/** The lead JSON the CRM sends (a lead's `context`). */
export type Lead = Schemas['Lead'];
/** One activity of a lead. */
export type Activity = Schemas['Activity'];
/** A reported outcome, as `GET /leads/{lead_id}` shows it. */
export type OutcomeRow = Schemas['OutcomeRow'];
/** `GET /leads/{lead_id}/score`: a stored score, with its explanation. */
export type ScoreRow = Schemas['ScoreRow'];
/** A stored score's explanation: the score as the model gave it, or the text when it no longer reads as one. */
export type StoredExplanation = Schemas['StoredExplanation'];
/** A score as the model gave it, with its reasons and contributions. */
export type Score = Schemas['Score'];
/** A sentence for the rep about one feature. */
export type Reason = Schemas['Reason'];
/** Which way a feature pushed the score. */
export type Direction = Schemas['Direction'];
/** One feature's signed SHAP value. */
export type Contribution = Schemas['Contribution'];
/** Something about a lead's data a rep should know (an unseen category, a refused value…). */
export type DataNote = Schemas['DataNote'];
/** A lead's value for one feature: a number, a category, or null. */
export type FeatureValue = Schemas['FeatureValue'];
/** Hot / Warm / Cold. */
export type Band = Schemas['Band'];

// ---- History and why a score changed ----------------------------------------

/** `GET /leads/{lead_id}/history`: a lead's scorings, oldest first, and its trend. */
export type History = Schemas['History'];
/** One scoring in a lead's history. */
export type HistoryPoint = Schemas['HistoryPoint'];
/** `GET /leads/{lead_id}/changes`: why the score moved between two scorings, in parts that add up. */
export type Changes = Schemas['Changes'];
/** One end of a comparison: a scoring's request, margin, score and version. */
export type Scoring = Schemas['Scoring'];
/** One part of a change (the model's, or a feature's). */
export type ChangePart = Schemas['Part'];

// ---- Scoring requests ----------------------------------------------------------

/** The body of `POST /leads/score`. */
export type ScoreRequest = Schemas['ScoreRequest'];
/** A scoring request's options. */
export type Overrides = Schemas['Overrides'];
/** The answer to `POST /leads/score`: where to poll. */
export type Accepted = Schemas['Accepted'];
/** `GET /leads/score/{request_id}/status`. */
export type RequestStatus = Schemas['RequestStatus'];
/** The body of `POST /leads/{lead_id}/outcome`. */
export type OutcomeReport = Schemas['OutcomeReport'];
/** The body of `POST /leads/{lead_id}/touch`. */
export type TouchReport = Schemas['TouchReport'];

// ---- Models and routing ------------------------------------------------------------

/** `GET /models`: the installed versions, the caller's routing and the tenants' own. */
export type ModelList = Schemas['ModelList'];
/** One installed version. */
export type ModelInfo = Schemas['ModelInfo'];
/** Hot/Cold thresholds: score > hot is Hot, score < cold is Cold, else Warm. */
export type Bands = Schemas['Bands'];
/** A model's held-out quality and training window. */
export type ModelQuality = Schemas['ModelQuality'];
/** One decile of a model's held-out calibration. */
export type CalibrationDecile = Schemas['CalibrationDecile'];
/** A feature and its share of the model's mean |SHAP|. */
export type TopFeature = Schemas['TopFeature'];
/** The fields of a model source's upload (`POST /models`, multipart). */
/** Which versions score leads (`GET`/`PUT /models/routing`). */
export type Routing = Schemas['Routing'];
/** One version's share of an A/B split. */
export type Weighted = Schemas['Weighted'];
/** `GET /reports/shadow`: the shadow version against the active one. */
export type ShadowReport = Schemas['ShadowReport'];
/** How one version did in the shadow comparison. */
export type VersionMetrics = Schemas['VersionMetrics'];

// ---- The learning loop --------------------------------------------------------------

/** `GET`/`PUT /learning/settings`. */
export type LearningSettings = Schemas['LearningSettings'];
/** `GET /reports/lift`. */
export type LiftReport = Schemas['LiftReport'];
/** Treated against control: win rates and lift. */
export type Comparison = Schemas['Comparison'];
/** One group's win rate. */
export type Arm = Schemas['Arm'];
/** A 95 % interval, [low, high]. */
export type Interval = NonNullable<Arm['ci']>;
/** One weekly cohort's comparison. */
export type Week = Schemas['Week'];
/** How one band converts. */
export type BandRow = Schemas['BandRow'];
/** ROC-AUC of the scores. */
export type Auc = Schemas['Auc'];
/** The calibration curve and Brier score. */
export type CalibrationCheck = Schemas['CalibrationCheck'];
/** One bin of the calibration curve. */
export type CalibrationBin = Schemas['CalibrationBin'];
/** Time to first touch in both groups. */
export type FirstTouch = Schemas['FirstTouch'];
/** One group's time to first touch. */
export type Touch = Schemas['Touch'];
/** The guardrail's verdict. */
export type Guardrail = Schemas['Guardrail'];
/** Drift of one version's recent inputs and scores. */
export type DriftReport = Schemas['DriftReport'];
/** One feature's drift. */
export type FeatureDrift = Schemas['FeatureDrift'];

// ---- Connecting a CRM -------------------------------------------------------------

/** `GET`/`PUT /integrations/mapping`: the tenant's mapping, what the models read, and what the mapping leaves out. */
export type MappingView = Schemas['MappingView'];
/** How a CRM's object becomes a lead: the id's path, `as_of`'s, and each lead field's. */
export type Mapping = Schemas['Mapping'];
/** One lead field's source: a path, or a translation (picklist map, divisor, or joined paths). */
export type FieldMapping = Schemas['FieldMapping'];
/** A lead field read from one or more CRM fields, translated. */
export type Translation = Schemas['Translation'];
/** A mapping we ship: hubspot or salesforce. */
export type Preset = Schemas['Preset'];
/** A lead field a model reads: its feature's label, and number or category (with the categories). */
export type ModelField = Schemas['ModelField'];
/** The body of `PUT /integrations/mapping`: a preset by name, or a mapping. */
export type MappingRequest = Schemas['MappingRequest'];
/** A scoring answer of `POST /score-lead`. */
export type ScoreResponse = Schemas['ScoreResponse'];

// ---- Webhooks -----------------------------------------------------------------------

/** A registered webhook endpoint; `secret` only in the answer to its registration. */
export type WebhookEndpoint = Schemas['Endpoint'];
/** `GET /integrations/webhooks`: the tenant's endpoints, oldest first. */
export type WebhookEndpoints = Schemas['Endpoints'];
/** The body of `POST /integrations/webhooks`: a URL and at least one event type. */
export type NewWebhookEndpoint = Schemas['NewEndpoint'];
/** `GET /integrations/webhooks/{endpoint_id}/deliveries`: an endpoint's deliveries, newest first. */
export type DeliveryLog = Schemas['DeliveryLog'];
/** One delivery in the log: status pending, delivered or dead, its attempts and last answer. */
export type WebhookDelivery = Schemas['DeliveryRow'];

// ---- Bulk imports (backfill) ----------------------------------------------------------

/** How each line of an import reads: lead JSON (or `{"crm_object"}`), or a raw CRM object through the tenant's mapping. */
export type ImportFormat = Schemas['ImportFormat'];
/** `POST /leads/import` (202) and `GET /jobs/{job_id}`: a bulk import and how far it got. */
export type ImportJob = Schemas['ImportJob'];
/** `GET /jobs`: the tenant's 20 latest jobs, newest first. */
export type ImportJobs = Schemas['ImportJobs'];
/** A line of an import that was refused, or whose scoring failed (the first 100 of a job). */
export type ImportError = Schemas['ImportError'];

// ---- The closed loop (retraining) ---------------------------------------------------

/** `GET`/`PUT /learning/retrain`: a tenant's retrain policy (the defaults until saved). */
export type RetrainPolicy = Schemas['RetrainPolicy'];
/** `GET /learning/retrain/jobs`: the tenant's retrain jobs, newest first, its labelled leads and what it lacks to train. */
export type RetrainJobs = Schemas['RetrainJobs'];
/** A retrain job: where it is, its candidate and active versions, its figures (`metrics`), message and trainer log. */
export type RetrainJob = Schemas['RetrainJob'];
/** Where a retrain job is: queued, running, gated_out, shadowing, promoted, retired or failed. */
export type RetrainState = Schemas['JobState'];
/** A tenant's labelled leads (scored, with an outcome) in the policy's window, and how many won. */
export type Labelled = Schemas['Labelled'];
/** `POST /learning/retrain/run` (202): the job made. */
export type StartedRetrain = Schemas['StartedJob'];
/** `GET /learning/retrain/history`: the steps of the tenant's retrain jobs, newest first (the latest 200, across its jobs). */
export type RetrainHistory = Schemas['RetrainHistory'];
/** One step of a retrain job: when (`at`), which (`queued`, `started`, `shadowing`, `promoted`…), the host's sentence, and its figures. */
export type RetrainStep = Schemas['RetrainStep'];
