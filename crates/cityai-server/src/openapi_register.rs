//! The AI register's part of the OpenAPI document: paths under `/api/v1/register` and their
//! schemas.

use serde_json::{Value, json};

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

fn ok(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"type": "object"}}}
    })
}

fn path_param(name: &str, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description, "schema": schema})
}

fn code() -> Value {
    path_param(
        "code",
        json!({"type": "string"}),
        "The application's register code, such as cityai.routing.",
    )
}

fn id(what: &str) -> Value {
    path_param(
        "id",
        json!({"type": "integer", "format": "int64"}),
        &format!("The {what} id."),
    )
}

/// Builds an operation with the responses every register route shares.
fn op(summary: &str, mut responses: Value, parameters: Vec<Value>, body: Option<Value>) -> Value {
    if let Some(map) = responses.as_object_mut() {
        map.insert(
            "400".into(),
            error_response("A parameter or the body is invalid; the message names it."),
        );
        map.insert("401".into(), error_response("Not signed in."));
        map.insert(
            "403".into(),
            error_response(
                "The caller's role may not use this route: reading needs reviewer, admin, \
                 auditor or ai_office; changes need ai_office.",
            ),
        );
    }
    let mut operation = json!({
        "summary": summary,
        "tags": ["register"],
        "parameters": parameters,
        "responses": responses,
    });
    if let Some(schema) = body {
        operation["requestBody"] = json!({
            "required": true,
            "content": {"application/json": {"schema": schema}}
        });
    }
    operation
}

fn enumeration(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

fn text() -> Value {
    json!({"type": "string", "maxLength": 4000})
}

fn fields_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["name_zh", "name_en", "category", "risk_level", "model_type", "publication_category"],
        "properties": {
            "name_zh": {"type": "string", "minLength": 1, "maxLength": 200},
            "name_en": {"type": "string", "minLength": 1, "maxLength": 200},
            "category": {"type": "string", "description": "A configured category code, such as public_service."},
            "risk_level": enumeration(&["low", "medium", "high"]),
            "model_type": enumeration(&["industry", "regional", "general"]),
            "publication_category": enumeration(&["high_risk", "impactful", "other"]),
            "description": text(),
            "rationale": text(),
            "owner": text(),
            "contact": text(),
            "lead_department": text(),
            "human_oversight": text(),
            "decision_process": text(),
            "data_description": text(),
            "risks": text(),
            "impact_assessments": text(),
            "legal_basis": text(),
            "supplier": text(),
            "priority": {"type": "boolean"},
            "genai_filing": {"type": ["string", "null"], "maxLength": 100}
        }
    })
}

fn date_or_time() -> Value {
    json!({"type": "string", "description": "A date such as 2027-01-31 (midnight UTC) or an RFC 3339 time."})
}

/// Returns the register's paths, keyed by path.
#[allow(clippy::too_many_lines)]
pub(crate) fn paths() -> Value {
    let not_found =
        error_response("No application, review, member, organisation or feedback has this id.");
    let conflict =
        error_response("The register's state does not allow the change; the message says why.");
    let stages = [
        "proposed",
        "under_review",
        "pilot",
        "in_use",
        "suspended",
        "retired",
    ];
    json!({
        "/api/v1/register/applications": {
            "get": op("List the register's applications with their gates", json!({
                "200": ok("Every application with its gate: open, or the reason it is closed.")
            }), vec![], None),
            "post": op("Register a proposed application", json!({
                "201": ok("The new entry, in the stage proposed."),
                "409": conflict.clone()
            }), vec![], Some(json!({
                "type": "object", "additionalProperties": false, "required": ["code", "fields"],
                "properties": {
                    "code": {"type": "string", "pattern": "^[a-z][a-z0-9._-]{0,63}$"},
                    "fields": fields_schema()
                }
            })))
        },
        "/api/v1/register/applications/{code}": {
            "get": op("One application with its gate, reviews, scores, funds, monitoring, live figures, participants and feedback", json!({
                "200": ok("The application and what the register keeps about it."),
                "404": not_found.clone()
            }), vec![code()], None),
            "post": op("Replace the staff-written fields of an application", json!({
                "200": ok("The updated entry."),
                "404": not_found.clone()
            }), vec![code()], Some(fields_schema()))
        },
        "/api/v1/register/applications/{code}/stage": {
            "post": op("Move an application to another lifecycle stage", json!({
                "200": ok("The updated entry."),
                "404": not_found.clone(),
                "409": conflict.clone()
            }), vec![code()], Some(json!({
                "type": "object", "additionalProperties": false, "required": ["stage", "reason"],
                "properties": {"stage": enumeration(&stages), "reason": {"type": "string", "minLength": 1}}
            })))
        },
        "/api/v1/register/applications/{code}/scores": {
            "post": op("Record the caller's score of an application on a criterion", json!({
                "200": ok("The application's scores."),
                "404": not_found.clone()
            }), vec![code()], Some(json!({
                "type": "object", "additionalProperties": false, "required": ["criterion", "score"],
                "properties": {
                    "criterion": {"type": "string"},
                    "score": {"type": "number", "minimum": 0, "maximum": 5},
                    "note": {"type": "string"}
                }
            })))
        },
        "/api/v1/register/applications/{code}/reviews": {
            "post": op("Open an ethical review case", json!({
                "201": ok("The open review case."),
                "404": not_found.clone()
            }), vec![code()], Some(json!({
                "type": "object", "additionalProperties": false, "required": ["kind"],
                "properties": {
                    "kind": enumeration(&["high_risk", "social_experiment", "generated_content", "re_review"]),
                    "panel": {"type": "array", "items": {"type": "integer", "format": "int64"}, "description": "Committee member ids."}
                }
            })))
        },
        "/api/v1/register/applications/{code}/funds": {
            "post": op("Set an application's fiscal funds for one year, in yuan", json!({
                "200": ok("The application's funds by year."),
                "404": not_found.clone()
            }), vec![code()], Some(json!({
                "type": "object", "required": ["year", "budgeted", "allocated", "spent"],
                "properties": {
                    "year": {"type": "integer", "minimum": 2000, "maximum": 2100},
                    "budgeted": {"type": "integer", "minimum": 0},
                    "allocated": {"type": "integer", "minimum": 0},
                    "spent": {"type": "integer", "minimum": 0}
                }
            })))
        },
        "/api/v1/register/applications/{code}/monitoring": {
            "post": op("Store a monitoring record: measured from live data for CityAI's own features, or reported figures", json!({
                "201": ok("The stored record."),
                "404": not_found.clone()
            }), vec![code()], Some(json!({
                "type": "object", "additionalProperties": false, "required": ["from", "to", "source"],
                "properties": {
                    "from": date_or_time(),
                    "to": date_or_time(),
                    "source": enumeration(&["measured", "reported"]),
                    "figures": {"type": "object", "additionalProperties": {"type": ["number", "null"]}, "description": "Reported figures; leave out for measured."},
                    "note": {"type": "string"}
                }
            })))
        },
        "/api/v1/register/applications/{code}/participants": {
            "post": op("Give an organisation a role on an application", json!({
                "200": ok("The application's participants."),
                "404": not_found.clone()
            }), vec![code()], Some(json!({
                "type": "object", "additionalProperties": false, "required": ["organisation_id", "role"],
                "properties": {
                    "organisation_id": {"type": "integer", "format": "int64"},
                    "role": enumeration(&["lead", "partner", "supplier", "evaluator", "user", "advisor"])
                }
            })))
        },
        "/api/v1/register/reviews/{id}/decision": {
            "post": op("Record the committee's decision on a review case (AI-office staff record it for the committee)", json!({
                "200": ok("The decided review."),
                "404": not_found.clone(),
                "409": conflict.clone()
            }), vec![id("review")], Some(json!({
                "type": "object", "additionalProperties": false, "required": ["decision"],
                "properties": {
                    "decision": enumeration(&["approved", "approved_with_conditions", "rejected"]),
                    "conditions": {"type": "string", "description": "Required for approved_with_conditions."},
                    "valid_from": date_or_time(),
                    "valid_until": date_or_time(),
                    "re_review_on": {"type": "string", "format": "date"}
                }
            })))
        },
        "/api/v1/register/reviews/due": {
            "get": op("Running applications whose review is due within 30 days or overdue", json!({
                "200": ok("The due and overdue reviews.")
            }), vec![], None)
        },
        "/api/v1/register/ranking": {
            "get": op("The criteria and the ranked list of scored applications", json!({
                "200": ok("The ranking, highest weighted score first.")
            }), vec![], None)
        },
        "/api/v1/register/lists/{year}": {
            "get": op("The approved scenario list of a year", json!({
                "200": ok("The year's list in rank order.")
            }), vec![path_param("year", json!({"type": "integer"}), "The plan's year.")], None),
            "post": op("Replace the approved scenario list of a year", json!({
                "200": ok("The year's new list."),
                "404": not_found.clone()
            }), vec![path_param("year", json!({"type": "integer", "minimum": 2000, "maximum": 2100}), "The plan's year.")], Some(json!({
                "type": "object", "additionalProperties": false, "required": ["codes"],
                "properties": {"codes": {"type": "array", "items": {"type": "string"}, "minItems": 1}}
            })))
        },
        "/api/v1/register/committee": {
            "get": op("The ethics committee's members and declared conflicts", json!({
                "200": ok("The members.")
            }), vec![], None),
            "post": op("Add a committee member", json!({
                "201": ok("The new member's id.")
            }), vec![], Some(json!({
                "type": "object", "additionalProperties": false, "required": ["name", "expertise"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "expertise": {"type": "string", "minLength": 1},
                    "affiliation": {"type": "string"}
                }
            })))
        },
        "/api/v1/register/committee/{id}/conflicts": {
            "post": op("Record a member's declared conflict of interest with an application", json!({
                "200": ok("The members."),
                "404": not_found.clone()
            }), vec![id("member")], Some(json!({
                "type": "object", "additionalProperties": false, "required": ["application", "note"],
                "properties": {"application": {"type": "string"}, "note": {"type": "string", "minLength": 1}}
            })))
        },
        "/api/v1/register/organisations": {
            "get": op("The organisations taking part", json!({
                "200": ok("The organisations.")
            }), vec![], None),
            "post": op("Add an organisation", json!({
                "201": ok("The new organisation.")
            }), vec![], Some(json!({
                "type": "object", "additionalProperties": false, "required": ["name", "kind"],
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 200},
                    "kind": enumeration(&["government", "enterprise", "academia", "citizen_group"])
                }
            })))
        },
        "/api/v1/register/criteria": {
            "get": op("The selection criteria and the application categories", json!({
                "200": ok("The criteria and categories.")
            }), vec![], None),
            "post": op("Add or change a selection criterion", json!({
                "200": ok("The criteria.")
            }), vec![], Some(json!({
                "type": "object", "additionalProperties": false, "required": ["code", "name_zh", "name_en", "weight"],
                "properties": {
                    "code": {"type": "string", "pattern": "^[a-z][a-z0-9._-]{0,63}$"},
                    "name_zh": {"type": "string", "minLength": 1},
                    "name_en": {"type": "string", "minLength": 1},
                    "weight": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
                    "active": {"type": "boolean"}
                }
            })))
        },
        "/api/v1/register/categories": {
            "post": op("Add an application category", json!({
                "201": ok("The categories.")
            }), vec![], Some(json!({
                "type": "object", "additionalProperties": false, "required": ["code", "name_zh", "name_en"],
                "properties": {
                    "code": {"type": "string", "pattern": "^[a-z][a-z0-9._-]{0,63}$"},
                    "name_zh": {"type": "string", "minLength": 1},
                    "name_en": {"type": "string", "minLength": 1}
                }
            })))
        },
        "/api/v1/register/feedback": {
            "get": op("Citizens' feedback on register entries, newest first", json!({
                "200": ok("The feedback, personal data masked.")
            }), vec![json!({"name": "status", "in": "query", "required": false, "schema": enumeration(&["pending", "published", "rejected"])})], None)
        },
        "/api/v1/register/feedback/{id}": {
            "post": op("Publish or reject a feedback awaiting moderation", json!({
                "200": ok("The moderation result."),
                "404": not_found.clone()
            }), vec![id("feedback")], Some(json!({
                "type": "object", "additionalProperties": false, "required": ["publish"],
                "properties": {"publish": {"type": "boolean"}}
            })))
        },
        "/api/v1/register/export/{format}": {
            "get": op("Export the register", json!({
                "200": {
                    "description": "register.json: CityAI's JSON; atrs.csv: CSV with UK ATRS-style columns; algoritmeregister.json: JSON with Dutch Algoritmeregister-style fields.",
                    "content": {"application/json": {"schema": {"type": "object"}}, "text/csv": {"schema": {"type": "string"}}}
                },
                "404": error_response("Unknown format.")
            }), vec![path_param("format", enumeration(&["register.json", "atrs.csv", "algoritmeregister.json"]), "The export format.")], None)
        }
    })
}
