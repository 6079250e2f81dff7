//! The OpenAPI 3.1 document of the JSON API, served at `/api/v1/openapi.json`.
//!
//! Written by hand next to the routes it describes; a test checks that it documents every
//! JSON route of the access policy and nothing else.

use std::sync::LazyLock;

use axum::Json;
use axum::response::IntoResponse;
use serde_json::{Value, json};

/// The document, built once.
static DOCUMENT: LazyLock<Value> = LazyLock::new(document);

/// Serves the document at `GET /api/v1/openapi.json`.
pub(crate) async fn openapi() -> impl IntoResponse {
    Json(DOCUMENT.clone())
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

fn ok(description: &str, schema: Value) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": schema}}
    })
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn param_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/parameters/{name}")})
}

fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

fn string() -> Value {
    json!({"type": "string"})
}

/// Builds an operation with the responses that every signed-in route shares.
fn op(summary: &str, tag: &str, mut responses: Value, parameters: Vec<Value>) -> Value {
    if let Some(map) = responses.as_object_mut() {
        map.insert(
            "400".into(),
            error_response("A parameter or the body is invalid; the message names it."),
        );
        map.insert("401".into(), error_response("Not signed in."));
        map.insert(
            "403".into(),
            error_response("The caller's role may not use this route."),
        );
    }
    json!({
        "summary": summary,
        "tags": [tag],
        "parameters": parameters,
        "responses": responses,
    })
}

fn with_body(mut operation: Value, schema: Value) -> Value {
    operation["requestBody"] = json!({
        "required": true,
        "content": {"application/json": {"schema": schema}}
    });
    operation
}

fn public(mut operation: Value) -> Value {
    operation["security"] = json!([]);
    if let Some(responses) = operation["responses"].as_object_mut() {
        responses.remove("401");
        responses.remove("403");
    }
    operation
}

#[allow(clippy::too_many_lines)]
fn document() -> Value {
    let id = param_ref("RequestId");
    let lang = param_ref("Lang");
    let not_found = error_response("No such request, or one the caller may not see.");
    let paths = json!({
        "/api/v1/me": {
            "get": op("The signed-in account", "accounts", json!({
                "200": ok("The account, its role and department, and the CSRF token for forms.", schema_ref("Me"))
            }), vec![])
        },
        "/api/v1/requests": {
            "get": op("List requests with filters and paging", "requests", json!({
                "200": ok("One page of requests, newest first unless sorted otherwise.", schema_ref("RequestList"))
            }), vec![
                query("status", "Request status.", json!({"type": "string", "enum": ["received", "triage", "assigned", "in_progress", "replied", "closed"]})),
                query("category", "Category path; its subcategories match too.", string()),
                query("department", "Department code.", string()),
                query("channel", "Channel.", json!({"type": "string", "enum": ["hotline", "web", "open311", "import", "reception"]})),
                query("from", "First submission date, YYYY-MM-DD, city time.", json!({"type": "string", "format": "date"})),
                query("to", "Last submission date, YYYY-MM-DD, city time.", json!({"type": "string", "format": "date"})),
                query("q", "Free text in the title or text.", string()),
                query("sort", "Order of submission.", json!({"type": "string", "enum": ["newest", "oldest"]})),
                query("page", "Page number from 1.", json!({"type": "integer", "minimum": 1})),
                query("size", "Page size, 1 to 500.", json!({"type": "integer", "minimum": 1, "maximum": 500})),
                lang.clone(),
            ]),
            "post": with_body(op("Take a request in", "requests", json!({
                "201": ok("Stored, masked and routed.", schema_ref("Receipt")),
                "200": ok("The caller's id repeated a stored request, which is returned.", schema_ref("Receipt"))
            }), vec![]), schema_ref("Submission"))
        },
        "/api/v1/requests/{id}": {
            "get": op("One request, with personal data masked", "requests", json!({
                "200": ok("The request.", schema_ref("Request")),
                "404": not_found.clone()
            }), vec![id.clone()])
        },
        "/api/v1/requests/{id}/unmasked": {
            "get": op("The request's text with personal data, for a stated purpose (audited)", "requests", json!({
                "200": ok("The unmasked title and text.", json!({"type": "object"})),
                "404": not_found.clone()
            }), vec![id.clone(), json!({"name": "purpose", "in": "query", "required": true, "description": "Why the personal data is needed; recorded in the audit trail.", "schema": {"type": "string", "minLength": 1}})])
        },
        "/api/v1/requests/{id}/duplicates": {
            "get": op("Earlier requests this one probably repeats, with the reasons", "requests", json!({
                "200": ok("The links.", json!({"type": "object"})),
                "404": not_found.clone()
            }), vec![id.clone()])
        },
        "/api/v1/requests/{id}/similar-replies": {
            "get": op("Official replies to similar past requests", "replies", json!({
                "200": ok("The replies, best first.", json!({"type": "object"})),
                "404": not_found.clone(),
                "503": error_response("The knowledge index is not loaded.")
            }), vec![id.clone()])
        },
        "/api/v1/requests/{id}/timeline": {
            "get": op("Every event of a request, oldest first", "requests", json!({
                "200": ok("The events.", json!({"type": "object", "properties": {"items": {"type": "array", "items": schema_ref("TimelineEvent")}}})),
                "404": not_found.clone()
            }), vec![id.clone()])
        },
        "/api/v1/requests/{id}/routing": {
            "get": op("The router's latest decision and its evidence", "routing", json!({
                "200": ok("Top categories with probabilities, weighed words and similar past requests.", json!({"type": "object"})),
                "404": not_found.clone()
            }), vec![id.clone()])
        },
        "/api/v1/requests/{id}/routing/confirm": {
            "post": op("Confirm the request's category, making it final", "routing", json!({
                "200": ok("The updated request.", schema_ref("Request")),
                "404": not_found.clone(),
                "409": error_response("The request has no category to confirm.")
            }), vec![id.clone()])
        },
        "/api/v1/requests/{id}/routing/correct": {
            "post": with_body(op("Correct the request's category, making the new one final", "routing", json!({
                "200": ok("The updated request.", schema_ref("Request")),
                "404": not_found.clone()
            }), vec![id.clone()]), json!({
                "type": "object", "required": ["category"],
                "properties": {"category": {"type": "string", "description": "A category path of the taxonomy, such as 城乡建设/市政设施."}}
            }))
        },
        "/api/v1/requests/{id}/reply": {
            "get": op("The open reply draft and the published replies", "replies", json!({
                "200": ok("The draft (or null) and the replies.", json!({"type": "object", "properties": {"draft": {}, "replies": {"type": "array"}}})),
                "404": not_found.clone()
            }), vec![id.clone()]),
            "post": with_body(op("Save the edited draft, or approve and publish it", "replies", json!({
                "200": ok("The saved draft or the published reply.", json!({"type": "object"})),
                "404": not_found.clone(),
                "409": error_response("The draft was already approved or replaced.")
            }), vec![id.clone()]), json!({
                "type": "object", "required": ["draft_id", "body", "action"],
                "properties": {
                    "draft_id": {"type": "integer"},
                    "body": {"type": "string"},
                    "action": {"type": "string", "enum": ["save", "approve"]}
                },
                "additionalProperties": false
            }))
        },
        "/api/v1/requests/{id}/reply/draft": {
            "post": op("Draft a reply, labelled as AI-generated", "replies", json!({
                "201": ok("The new draft; it replaces any older open draft.", json!({"type": "object"})),
                "404": not_found.clone()
            }), vec![id.clone()])
        },
        "/api/v1/status/{token}": {
            "get": public(op("Where a request stands, for whoever holds its token", "requests", json!({
                "200": ok("The public status: no text, no personal data.", schema_ref("PublicStatus")),
                "404": error_response("No request has this token.")
            }), vec![json!({"name": "token", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}})]))
        },
        "/api/v1/triage/next": {
            "get": op("The next request waiting in triage", "routing", json!({
                "200": ok("Its id, or null when the queue is empty.", json!({"type": "object", "properties": {"id": {"type": ["integer", "null"]}}}))
            }), vec![query("after", "The request just decided.", json!({"type": "integer", "minimum": 1})), lang.clone()])
        },
        "/api/v1/dashboard": {
            "get": op("The dashboard's figures", "dashboard", json!({
                "200": ok("Volumes, routing accuracy, auto-assignment, backlog and overdue replies.", json!({"type": "object"}))
            }), vec![])
        },
        "/api/v1/hotspots": {
            "get": op("Hot spots ranked by heat", "hotspots", json!({
                "200": ok("The ranked hot spots and how many requests were considered.", json!({"type": "object"}))
            }), vec![
                query("from", "First submission date, YYYY-MM-DD.", json!({"type": "string", "format": "date"})),
                query("to", "Last submission date, YYYY-MM-DD.", json!({"type": "string", "format": "date"})),
                query("top", "How many hot spots, 1 to 500.", json!({"type": "integer", "minimum": 1, "maximum": 500})),
                lang.clone(),
            ])
        },
        "/api/v1/knowledge/search": {
            "get": public(op("Search the knowledge base; answers cite their sources", "knowledge", json!({
                "200": ok("The passages with explained scores, and an answer.", json!({"type": "object"})),
                "503": error_response("The knowledge index is not loaded.")
            }), vec![
                json!({"name": "q", "in": "query", "required": true, "schema": {"type": "string", "minLength": 1}}),
                query("kind", "Source kind.", json!({"type": "string", "enum": ["faq", "policy", "reply", "document"]})),
                query("department", "Owner department code.", string()),
                query("valid_only", "Only sources in force.", json!({"type": "boolean"})),
                query("limit", "How many passages, 1 to 50.", json!({"type": "integer", "minimum": 1, "maximum": 50})),
                lang.clone(),
            ]))
        },
        "/api/v1/audit": {
            "get": op("The audit trail, newest first", "audit", json!({
                "200": ok("Audit records.", json!({"type": "object", "properties": {"items": {"type": "array", "items": schema_ref("AuditRecord")}}}))
            }), vec![
                query("before", "Records before this sequence number.", json!({"type": "integer"})),
                query("limit", "How many records, 1 to 1000.", json!({"type": "integer", "minimum": 1, "maximum": 1000})),
                lang.clone(),
            ])
        },
        "/api/v1/audit/verify": {
            "get": op("Check the audit trail's hash chain", "audit", json!({
                "200": ok("Whether the chain is whole, and where it breaks.", json!({"type": "object"}))
            }), vec![])
        },
        "/api/v1/openapi.json": {
            "get": public(op("This document", "meta", json!({
                "200": ok("The OpenAPI document.", json!({"type": "object"}))
            }), vec![]))
        }
    });
    let mut paths = paths;
    if let (Some(all), Value::Object(more)) = (
        paths.as_object_mut(),
        reception_and_quality_paths(&not_found),
    ) {
        all.extend(more);
    }
    if let (Some(all), Value::Object(more)) = (paths.as_object_mut(), framework_paths()) {
        all.extend(more);
    }
    if let (Some(all), Value::Object(more)) =
        (paths.as_object_mut(), crate::openapi_register::paths())
    {
        all.extend(more);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "CityAI API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The JSON API of CityAI: everything the console does. Every error has the body {\"error\": {\"code\", \"message\"}}; the message names the bad value and the fix. Personal data is masked unless a route says otherwise. Sign in with an API key (Authorization: Bearer KEY) or the console's session cookie; state-changing calls with the cookie also need the X-CSRF-Token header."
        },
        "servers": [{"url": "/"}],
        "security": [{"apiKey": []}, {"session": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer", "description": "An API key made with `cityai apikey create --user NAME`."},
                "session": {"type": "apiKey", "in": "cookie", "name": "cityai_session"}
            },
            "parameters": {
                "RequestId": {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int64"}},
                "Lang": {"name": "lang", "in": "query", "required": false, "description": "Language of the texts that the response generates, such as labels, summaries, answers and error messages. Without it, error messages follow the language cookie, then Accept-Language, then the server default; Content-Language names the language used.", "schema": {"type": "string", "enum": ["zh-CN", "en"]}}
            },
            "schemas": {
                "Error": {
                    "type": "object", "required": ["error"],
                    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                        "code": {"type": "string"}, "message": {"type": "string"}
                    }}}
                },
                "Me": {"type": "object", "properties": {
                    "username": {"type": "string"}, "role": {"type": "string"},
                    "department": {"type": ["string", "null"]}, "csrf_token": {"type": ["string", "null"]}
                }},
                "Request": {
                    "type": "object",
                    "required": ["id", "channel", "body", "received_at", "updated_at", "status"],
                    "properties": {
                        "id": {"type": "integer"},
                        "external_id": {"type": ["string", "null"]},
                        "channel": {"type": "string"},
                        "title": {"type": ["string", "null"]},
                        "body": {"type": "string", "description": "The text with personal data masked."},
                        "submitted_at": {"type": ["string", "null"], "format": "date-time"},
                        "received_at": {"type": "string", "format": "date-time"},
                        "updated_at": {"type": "string", "format": "date-time"},
                        "citizen_ref": {"type": ["string", "null"]},
                        "place_text": {"type": ["string", "null"]},
                        "latitude": {"type": ["number", "null"]},
                        "longitude": {"type": ["number", "null"]},
                        "status": {"type": "string"},
                        "category": {"type": ["string", "null"]},
                        "department": {"type": ["string", "null"]},
                        "routing_confidence": {"type": ["number", "null"]},
                        "model_version": {"type": ["string", "null"]},
                        "support_votes": {"type": ["integer", "null"]},
                        "objection_votes": {"type": ["integer", "null"]}
                    }
                },
                "RequestList": {"type": "object", "required": ["items", "total", "page", "size"], "properties": {
                    "items": {"type": "array", "items": schema_ref("Request")},
                    "total": {"type": "integer"}, "page": {"type": "integer"}, "size": {"type": "integer"}
                }},
                "Submission": {
                    "type": "object", "required": ["body"], "additionalProperties": false,
                    "properties": {
                        "title": {"type": "string", "maxLength": 200},
                        "body": {"type": "string", "minLength": 1, "maxLength": 10000},
                        "channel": {"type": "string", "enum": ["web", "hotline"], "description": "hotline only for operators."},
                        "citizen_ref": {"type": "string", "description": "A pseudonymous reference to the caller; never a name."},
                        "place": {"type": "string"},
                        "latitude": {"type": "number", "minimum": -90, "maximum": 90},
                        "longitude": {"type": "number", "minimum": -180, "maximum": 180},
                        "external_id": {"type": "string", "description": "The caller's own id; sending it again returns the stored request."}
                    }
                },
                "Receipt": {"type": "object", "required": ["id", "status", "existing"], "properties": {
                    "id": {"type": "integer"},
                    "token": {"type": ["string", "null"]},
                    "status": {"type": "string"},
                    "category": {"type": ["string", "null"]},
                    "department_code": {"type": ["string", "null"]},
                    "confidence": {"type": ["number", "null"]},
                    "model_version": {"type": ["string", "null"]},
                    "existing": {"type": "boolean"}
                }},
                "PublicStatus": {"type": "object", "required": ["id", "status", "updated_at"], "properties": {
                    "id": {"type": "integer"},
                    "status": {"type": "string"},
                    "category": {"type": ["string", "null"]},
                    "department_code": {"type": ["string", "null"]},
                    "submitted_at": {"type": ["string", "null"], "format": "date-time"},
                    "updated_at": {"type": "string", "format": "date-time"}
                }},
                "TimelineEvent": {"type": "object", "required": ["at", "kind"], "properties": {
                    "at": {"type": "string"}, "kind": {"type": "string"},
                    "actor": {"type": ["string", "null"]}, "detail": {}
                }},
                "AuditRecord": {"type": "object", "properties": {
                    "seq": {"type": "integer"}, "occurred_at": {"type": "string"}, "actor": {"type": "string"},
                    "action": {"type": "string"}, "target": {"type": ["string", "null"]}, "detail": {"type": "string"},
                    "prev_hash": {"type": "string"}, "hash": {"type": "string"}
                }}
            }
        }
    })
}

/// Builds the paths of the reception assistant and the reply quality check.
fn reception_and_quality_paths(not_found: &Value) -> Value {
    json!({
        "/api/v1/reception": {
            "post": public(with_body(op("Send a message to the reception assistant", "reception", json!({
                "200": ok("The assistant's reply (AI-generated), the dialogue state, and the request it created, if any.", json!({
                    "type": "object",
                    "required": ["conversation", "reply", "intent", "state", "missing", "handoff", "ai_generated"],
                    "properties": {
                        "conversation": {"type": "string"},
                        "reply": {"type": "string"},
                        "intent": {"type": "string"},
                        "state": {"type": "string", "enum": ["idle", "collecting", "confirming", "submitted"]},
                        "missing": {"type": "array", "items": {"type": "string"}},
                        "summary": {"type": "object"},
                        "request": {"type": "object", "properties": {"id": {"type": "integer"}, "token": {"type": ["string", "null"]}}},
                        "citations": {"type": "array"},
                        "handoff": {"type": "boolean"},
                        "ai_generated": {"type": "boolean"},
                        "AIGC": {"type": "object"}
                    }
                })),
                "404": error_response("No conversation has this id."),
                "429": error_response("Too many messages from this address; wait a minute.")
            }), vec![]), json!({
                "type": "object", "required": ["message"],
                "properties": {
                    "conversation": {"type": "string", "description": "The id from the previous reply; absent to start a conversation."},
                    "message": {"type": "string", "minLength": 1, "maxLength": 2000},
                    "lang": {"type": "string", "enum": ["zh-CN", "en"]}
                }
            })))
        },
        "/api/v1/reception/handoffs": {
            "get": op("Conversations the reception assistant handed to a person", "reception", json!({
                "200": ok("The handed-off conversations, newest first, with personal data masked.", json!({"type": "object"}))
            }), vec![])
        },
        "/api/v1/replies/quality": {
            "post": with_body(op("Check a reply's quality before it goes out", "replies", json!({
                "200": ok("A score per dimension (relevance, completeness, basis, timeliness, readability) with reasons, the overall score and the verdict.", json!({"type": "object"})),
                "404": not_found.clone()
            }), vec![]), json!({
                "type": "object", "required": ["request_id", "reply"],
                "properties": {
                    "request_id": {"type": "integer"},
                    "reply": {"type": "string", "minLength": 1, "maxLength": 50000},
                    "replied_at": {"type": "string", "format": "date-time", "description": "When the reply went out; now when absent."},
                    "lang": {"type": "string", "enum": ["zh-CN", "en"]}
                }
            }))
        }
    })
}

/// Builds the paths of the AI framework: inventory, lineage, education, ROI, roadmap and
/// key metrics.
#[allow(clippy::too_many_lines)]
fn framework_paths() -> Value {
    let code = json!({"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{0,63}$"});
    let text = json!({"type": "string", "minLength": 1, "maxLength": 200});
    let classification = json!({"type": "string", "enum": ["general", "important", "core"]});
    let object = json!({"type": "object"});
    let created = |what: &str| {
        ok(
            &format!("The {what} was stored; the body holds its id."),
            json!({"type": "object"}),
        )
    };
    let id_param =
        json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}});
    let conflict = error_response("The code is taken, or the link breaks the lineage rules.");
    let write = |summary: &str, what: &str, schema: Value| {
        let mut operation = with_body(
            op(
                summary,
                "framework",
                json!({
                    "201": created(what),
                    "409": error_response("The code is already taken.")
                }),
                vec![],
            ),
            schema,
        );
        operation["description"] = json!("AI office only.");
        operation
    };
    let roi_inputs = json!({
        "type": "object",
        "required": ["yearly_volume", "minutes_before", "minutes_after", "automated_share", "staff_cost_per_hour", "compute_cost", "licence_cost", "maintenance_cost", "adoption_rate"],
        "additionalProperties": false,
        "properties": {
            "yearly_volume": {"type": "number", "minimum": 0, "maximum": 1e10, "description": "Items handled per year."},
            "minutes_before": {"type": "number", "minimum": 0, "maximum": 100000, "description": "Staff minutes per item without AI."},
            "minutes_after": {"type": "number", "minimum": 0, "maximum": 100000, "description": "Staff minutes per item the AI handles."},
            "automated_share": {"type": "number", "minimum": 0, "maximum": 1},
            "staff_cost_per_hour": {"type": "number", "minimum": 0, "maximum": 1e13},
            "compute_cost": {"type": "number", "minimum": 0, "maximum": 1e13, "description": "Yearly."},
            "licence_cost": {"type": "number", "minimum": 0, "maximum": 1e13, "description": "Yearly."},
            "maintenance_cost": {"type": "number", "minimum": 0, "maximum": 1e13, "description": "Yearly."},
            "initial_cost": {"type": "number", "minimum": 0, "maximum": 1e13, "description": "One-off, before the first year; 0 when absent."},
            "adoption_rate": {"type": "number", "minimum": 0, "maximum": 1},
            "uncertainty": {"type": "number", "minimum": 0, "maximum": 0.9, "description": "Relative uncertainty of the low/high range; 0.2 when absent."}
        }
    });
    json!({
        "/api/v1/framework/inventory": {
            "get": op("The technology inventory", "framework", json!({
                "200": ok("Deployment environments, compute resources, datasets, models and register entries with the models they use.", object.clone())
            }), vec![])
        },
        "/api/v1/framework/lineage": {
            "get": op("The lineage graph and its check", "framework", json!({
                "200": ok("The graph (applications, models, datasets, compute, environments) and every path that breaks a lineage rule.", object.clone())
            }), vec![])
        },
        "/api/v1/framework/environments": {
            "post": write("Add a deployment environment", "environment", json!({
                "type": "object", "additionalProperties": false,
                "required": ["code", "name_zh", "name_en", "internet_isolated", "approved_classification"],
                "properties": {"code": code.clone(), "name_zh": text.clone(), "name_en": text.clone(), "internet_isolated": {"type": "boolean"}, "approved_classification": classification.clone()}
            }))
        },
        "/api/v1/framework/compute": {
            "post": write("Add a compute resource", "compute resource", json!({
                "type": "object", "additionalProperties": false,
                "required": ["code", "site", "accelerator", "accelerator_count", "capacity_pflops", "utilisation", "internet_isolated", "environment_code"],
                "properties": {
                    "code": code.clone(), "site": text.clone(), "accelerator": text.clone(),
                    "accelerator_count": {"type": "integer", "minimum": 0, "maximum": 1000000},
                    "capacity_pflops": {"type": "number", "minimum": 0, "maximum": 1e9},
                    "utilisation": {"type": "number", "minimum": 0, "maximum": 1},
                    "internet_isolated": {"type": "boolean"}, "environment_code": code.clone()
                }
            }))
        },
        "/api/v1/framework/datasets": {
            "post": write("Add a dataset", "dataset", json!({
                "type": "object", "additionalProperties": false,
                "required": ["code", "name_zh", "name_en", "owner", "source", "classification", "personal_information", "size_gb", "update_frequency"],
                "properties": {
                    "code": code.clone(), "name_zh": text.clone(), "name_en": text.clone(), "owner": text.clone(), "source": text.clone(),
                    "classification": classification.clone(),
                    "personal_information": {"type": "boolean"},
                    "legal_basis": {"type": "string", "maxLength": 200, "description": "Required when the dataset holds personal information."},
                    "licence": {"type": "string", "maxLength": 200},
                    "size_gb": {"type": "number", "minimum": 0, "maximum": 1e12},
                    "update_frequency": {"type": "string", "enum": ["once", "real_time", "daily", "weekly", "monthly", "quarterly", "yearly"]}
                }
            }))
        },
        "/api/v1/framework/models": {
            "post": write("Add a model with its training datasets", "model", json!({
                "type": "object", "additionalProperties": false,
                "required": ["code", "name_zh", "name_en", "base_model", "version", "ip_owner", "ip_owner_kind", "trained_on_public_data", "environment_code"],
                "properties": {
                    "code": code.clone(), "name_zh": text.clone(), "name_en": text.clone(), "base_model": text.clone(), "version": text.clone(), "ip_owner": text.clone(),
                    "ip_owner_kind": {"type": "string", "enum": ["public_sector", "vendor", "joint"], "description": "public_sector when trained on public data."},
                    "trained_on_public_data": {"type": "boolean"},
                    "environment_code": code.clone(),
                    "compute_id": {"type": ["integer", "null"]},
                    "evaluation": {"type": "object", "additionalProperties": {"type": "number"}, "maxProperties": 50},
                    "dataset_ids": {"type": "array", "items": {"type": "integer"}, "maxItems": 1000}
                }
            }))
        },
        "/api/v1/framework/models/{id}/datasets": {
            "post": with_body(op("Record that a model was trained on a dataset", "framework", json!({
                "200": ok("The link is stored.", object.clone()),
                "409": conflict.clone()
            }), vec![id_param.clone()]), json!({
                "type": "object", "additionalProperties": false, "required": ["dataset_id"],
                "properties": {"dataset_id": {"type": "integer"}}
            }))
        },
        "/api/v1/framework/applications/{id}/models": {
            "post": with_body(op("Record that a register entry uses a model", "framework", json!({
                "200": ok("The link is stored.", object.clone()),
                "409": conflict.clone()
            }), vec![id_param.clone()]), json!({
                "type": "object", "additionalProperties": false, "required": ["model_id"],
                "properties": {"model_id": {"type": "integer"}}
            }))
        },
        "/api/v1/framework/education": {
            "get": op("Education programmes, reach and coverage", "framework", json!({
                "200": ok("Programmes, courses, sessions, enrolments, reach per level and coverage per department; handlers see their own department only.", object.clone())
            }), vec![])
        },
        "/api/v1/framework/programmes": {
            "post": write("Add an education programme", "programme", json!({
                "type": "object", "additionalProperties": false,
                "required": ["code", "name_zh", "name_en", "level"],
                "properties": {
                    "code": code.clone(), "name_zh": text.clone(), "name_en": text.clone(),
                    "level": {"type": "string", "enum": ["basic_schooling", "higher_education", "vocational", "public"]},
                    "partner": {"type": "string", "maxLength": 200}
                }
            }))
        },
        "/api/v1/framework/courses": {
            "post": write("Add a course to a programme", "course", json!({
                "type": "object", "additionalProperties": false,
                "required": ["programme_id", "code", "title_zh", "title_en", "hours"],
                "properties": {
                    "programme_id": {"type": "integer"}, "code": code.clone(), "title_zh": text.clone(), "title_en": text.clone(),
                    "hours": {"type": "number", "minimum": 0.01, "maximum": 10000},
                    "application_id": {"type": ["integer", "null"], "description": "The register entry whose system the course teaches."}
                }
            }))
        },
        "/api/v1/framework/sessions": {
            "post": write("Add a session of a course", "session", json!({
                "type": "object", "additionalProperties": false,
                "required": ["course_id", "starts_on"],
                "properties": {
                    "course_id": {"type": "integer"},
                    "starts_on": {"type": "string", "format": "date"},
                    "place": {"type": "string", "maxLength": 200}
                }
            }))
        },
        "/api/v1/framework/enrolments": {
            "post": with_body(op("Record a department's enrolments and completions in a session", "framework", json!({
                "200": ok("The figures are stored, replacing earlier ones of the same session and department.", object.clone())
            }), vec![]), json!({
                "type": "object", "additionalProperties": false,
                "required": ["session_id", "department_code", "enrolled", "completed"],
                "properties": {
                    "session_id": {"type": "integer"}, "department_code": text.clone(),
                    "enrolled": {"type": "integer", "minimum": 0, "maximum": 10000000},
                    "completed": {"type": "integer", "minimum": 0, "maximum": 10000000, "description": "At most enrolled."}
                }
            }))
        },
        "/api/v1/framework/staff": {
            "post": with_body(op("Set a department's staff count, the denominator of coverage", "framework", json!({
                "200": ok("The count is stored.", object.clone())
            }), vec![]), json!({
                "type": "object", "additionalProperties": false,
                "required": ["department_code", "staff"],
                "properties": {"department_code": text.clone(), "staff": {"type": "integer", "minimum": 1, "maximum": 10000000}}
            }))
        },
        "/api/v1/framework/roi": {
            "post": with_body(op("Compute an ROI estimate", "framework", json!({
                "200": ok("Hours reclaimed, savings, yearly cost, payback months and three-year ROI, expected and low/high.", object.clone())
            }), vec![]), roi_inputs.clone())
        },
        "/api/v1/framework/roi/measured": {
            "get": op("Compute ROI from CityAI's live figures", "framework", json!({
                "200": ok("The inputs, which of them were measured (with sample sizes) and which assumed, and the estimate.", object.clone()),
                "404": error_response("No saved scenario has this id.")
            }), vec![
                query("scenario", "A saved scenario whose inputs are the assumptions; the defaults when absent.", json!({"type": "integer"})),
                query("days", "The window of live figures, 1 to 3650 days; 365 when absent.", json!({"type": "integer", "minimum": 1, "maximum": 3650}))
            ])
        },
        "/api/v1/framework/roi/scenarios": {
            "get": op("Saved ROI scenarios", "framework", json!({
                "200": ok("Every saved scenario with its estimate, newest first.", object.clone())
            }), vec![]),
            "post": write("Save an ROI scenario", "scenario", json!({
                "type": "object", "additionalProperties": false,
                "required": ["name", "inputs"],
                "properties": {"name": text.clone(), "application_id": {"type": ["integer", "null"]}, "inputs": roi_inputs}
            }))
        },
        "/api/v1/framework/roadmap": {
            "get": op("The roadmap with computed progress", "framework", json!({
                "200": ok("Four phases with their milestones, each milestone's progress from linked items, and overall progress.", object.clone())
            }), vec![])
        },
        "/api/v1/framework/milestones": {
            "post": write("Add a milestone", "milestone", json!({
                "type": "object", "additionalProperties": false,
                "required": ["phase", "title_zh", "title_en", "owner", "due_on", "measure"],
                "properties": {
                    "phase": {"type": "string", "enum": ["strategy", "technology", "talent", "iteration"]},
                    "title_zh": text.clone(), "title_en": text.clone(), "owner": text.clone(),
                    "due_on": {"type": "string", "format": "date"},
                    "status": {"type": "string", "enum": ["planned", "in_progress", "done", "blocked"]},
                    "measure": {"type": "string", "enum": ["manual", "pilots", "applications_in_use", "datasets", "models", "programmes", "completions"]},
                    "target": {"type": ["integer", "null"], "minimum": 1, "description": "Required unless the measure is manual."},
                    "manual_progress": {"type": "number", "minimum": 0, "maximum": 1}
                }
            }))
        },
        "/api/v1/framework/milestones/{id}": {
            "post": with_body(op("Change a milestone's status", "framework", json!({
                "200": ok("The updated milestone.", object.clone()),
                "404": error_response("No milestone has this id.")
            }), vec![id_param]), json!({
                "type": "object", "additionalProperties": false, "required": ["status"],
                "properties": {
                    "status": {"type": "string", "enum": ["planned", "in_progress", "done", "blocked"]},
                    "manual_progress": {"type": ["number", "null"], "minimum": 0, "maximum": 1}
                }
            }))
        },
        "/api/v1/framework/metrics": {
            "get": op("The framework's key metrics", "framework", json!({
                "200": ok("Stakeholders engaged, register entries by category and stage, programme reach, measured ROI and the count of lineage violations.", object)
            }), vec![])
        }
    })
}

/// Returns the paths and methods the document describes, for checking it against the routes.
pub fn documented_operations() -> Vec<(String, String)> {
    let mut operations = Vec::new();
    if let Some(paths) = DOCUMENT["paths"].as_object() {
        for (path, item) in paths {
            if let Some(methods) = item.as_object() {
                for method in methods.keys() {
                    operations.push((method.to_uppercase(), path.clone()));
                }
            }
        }
    }
    operations
}
