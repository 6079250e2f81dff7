//! Response formats of the Open311 API: one record model rendered as JSON or XML, and the
//! standard error body.
//!
//! Open311 GeoReport v2 picks the format by the path's extension (`services.xml`,
//! `services.json`). Both formats carry the same fields in the same order; XML names each
//! list item with the singular element the standard gives (`<services><service>`).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use quick_xml::escape::escape;
use serde_json::{Map, Number, Value};

/// A response format, chosen by the path's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Xml,
}

impl Format {
    /// Splits `file` (`services.json`) into its stem and format.
    ///
    /// # Errors
    ///
    /// The extension when it is neither `json` nor `xml`, or an empty string when there is
    /// none.
    pub(crate) fn split(file: &str) -> Result<(&str, Format), String> {
        let Some((stem, extension)) = file.rsplit_once('.') else {
            return Err(String::new());
        };
        match extension {
            "json" => Ok((stem, Format::Json)),
            "xml" => Ok((stem, Format::Xml)),
            other => Err(other.to_owned()),
        }
    }
}

/// One field value of a record.
#[derive(Debug, Clone)]
pub(crate) enum Field {
    /// A string, or `null` (an empty XML element).
    Text(Option<String>),
    Number(Option<f64>),
    Integer(i64),
    Bool(bool),
    /// A list of records; XML names each item `item`.
    Records {
        item: &'static str,
        records: Vec<Record>,
    },
    /// A list of strings; XML names each item `item`.
    Texts {
        item: &'static str,
        texts: Vec<String>,
    },
}

impl Field {
    pub(crate) fn text(value: impl Into<String>) -> Field {
        Field::Text(Some(value.into()))
    }

    pub(crate) fn opt_text(value: Option<impl Into<String>>) -> Field {
        Field::Text(value.map(Into::into))
    }

    pub(crate) fn null() -> Field {
        Field::Text(None)
    }
}

/// Named fields in the order the standard lists them.
pub(crate) type Record = Vec<(&'static str, Field)>;

/// A response body: a list of records (most Open311 responses) or one record (discovery,
/// a service definition).
#[derive(Debug, Clone)]
pub(crate) enum Body {
    /// Rendered as a JSON array, or as XML `<root><item>…</item>…</root>`.
    List {
        root: &'static str,
        item: &'static str,
        records: Vec<Record>,
    },
    /// Rendered as a JSON object, or as XML `<root>…</root>`.
    One { root: &'static str, record: Record },
}

impl Body {
    /// Renders the body in `format` with status 200.
    pub(crate) fn respond(self, format: Format) -> Response {
        self.respond_with(StatusCode::OK, format)
    }

    /// Renders the body in `format` with `status`.
    pub(crate) fn respond_with(self, status: StatusCode, format: Format) -> Response {
        match format {
            Format::Json => {
                let value = match &self {
                    Body::List { records, .. } => {
                        Value::Array(records.iter().map(record_json).collect())
                    }
                    Body::One { record, .. } => record_json(record),
                };
                (
                    status,
                    [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                    value.to_string(),
                )
                    .into_response()
            }
            Format::Xml => (
                status,
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                self.to_xml(),
            )
                .into_response(),
        }
    }

    /// Renders the body as an XML document.
    pub(crate) fn to_xml(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
        match self {
            Body::List {
                root,
                item,
                records,
            } => {
                open(&mut out, root);
                for record in records {
                    open(&mut out, item);
                    record_xml(&mut out, record);
                    close(&mut out, item);
                }
                close(&mut out, root);
            }
            Body::One { root, record } => {
                open(&mut out, root);
                record_xml(&mut out, record);
                close(&mut out, root);
            }
        }
        out
    }
}

fn record_json(record: &Record) -> Value {
    let mut map = Map::with_capacity(record.len());
    for (name, field) in record {
        map.insert((*name).to_owned(), field_json(field));
    }
    Value::Object(map)
}

fn field_json(field: &Field) -> Value {
    match field {
        Field::Text(text) => text.clone().map_or(Value::Null, Value::String),
        Field::Number(number) => number
            .and_then(Number::from_f64)
            .map_or(Value::Null, Value::Number),
        Field::Integer(number) => Value::Number((*number).into()),
        Field::Bool(value) => Value::Bool(*value),
        Field::Records { records, .. } => Value::Array(records.iter().map(record_json).collect()),
        Field::Texts { texts, .. } => {
            Value::Array(texts.iter().cloned().map(Value::String).collect())
        }
    }
}

fn record_xml(out: &mut String, record: &Record) {
    for (name, field) in record {
        field_xml(out, name, field);
    }
}

fn field_xml(out: &mut String, name: &str, field: &Field) {
    let text = match field {
        Field::Text(text) => text.clone(),
        Field::Number(number) => number.map(|n| n.to_string()),
        Field::Integer(number) => Some(number.to_string()),
        Field::Bool(value) => Some(value.to_string()),
        Field::Records { item, records } => {
            open(out, name);
            for record in records {
                open(out, item);
                record_xml(out, record);
                close(out, item);
            }
            close(out, name);
            return;
        }
        Field::Texts { item, texts } => {
            open(out, name);
            for text in texts {
                open(out, item);
                out.push_str(&escape(text.as_str()));
                close(out, item);
            }
            close(out, name);
            return;
        }
    };
    match text {
        Some(text) => {
            open(out, name);
            out.push_str(&escape(text.as_str()));
            close(out, name);
        }
        // A missing value is an empty element, which XML clients read as null.
        None => {
            out.push('<');
            out.push_str(name);
            out.push_str("/>");
        }
    }
}

fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// An Open311 error: the HTTP status and a description that names the value and the fix.
///
/// The standard body is `[{"code": 404, "description": "…"}]` in JSON and
/// `<errors><error><code>404</code><description>…</description></error></errors>` in XML,
/// where `code` repeats the HTTP status.
#[derive(Debug, Clone)]
pub(crate) struct Open311Error {
    pub status: StatusCode,
    pub description: String,
}

impl Open311Error {
    pub(crate) fn bad_request(description: String) -> Self {
        Open311Error {
            status: StatusCode::BAD_REQUEST,
            description,
        }
    }

    pub(crate) fn forbidden(description: String) -> Self {
        Open311Error {
            status: StatusCode::FORBIDDEN,
            description,
        }
    }

    pub(crate) fn not_found(description: String) -> Self {
        Open311Error {
            status: StatusCode::NOT_FOUND,
            description,
        }
    }

    /// Renders the standard error body in `format`.
    pub(crate) fn respond(self, format: Format) -> Response {
        let record: Record = vec![
            ("code", Field::Integer(i64::from(self.status.as_u16()))),
            ("description", Field::text(self.description)),
        ];
        Body::List {
            root: "errors",
            item: "error",
            records: vec![record],
        }
        .respond_with(self.status, format)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_reads_the_extension() {
        assert_eq!(
            Format::split("services.json"),
            Ok(("services", Format::Json))
        );
        assert_eq!(Format::split("a.b.xml"), Ok(("a.b", Format::Xml)));
        assert_eq!(Format::split("services.csv"), Err("csv".to_owned()));
        assert_eq!(Format::split("services"), Err(String::new()));
    }

    #[test]
    fn xml_escapes_text_and_writes_null_as_empty_element() {
        let body = Body::List {
            root: "services",
            item: "service",
            records: vec![vec![
                ("service_name", Field::text("路灯 <坏> & 灭")),
                ("description", Field::null()),
                ("metadata", Field::Bool(true)),
            ]],
        };
        assert_eq!(
            body.to_xml(),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><services><service>\
             <service_name>路灯 &lt;坏&gt; &amp; 灭</service_name><description/>\
             <metadata>true</metadata></service></services>"
        );
    }
}
