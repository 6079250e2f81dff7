//! Open311 services from the category taxonomy.
//!
//! Every first- and second-level category is one service, so a client can report at the
//! level its user can tell. `group` is the first-level name. A service whose category has children
//! has metadata: its definition offers the children as an optional `subcategory` list.
//!
//! A service code is the first 12 lowercase hexadecimal digits (48 bits) of the SHA-256 of
//! the category path, levels joined with `/` in UTF-8 (`城乡建设/市政设施`). Codes stay the
//! same across servers and restarts as long as the category keeps its name, and they are
//! safe in URLs. Requests without a category have the reserved code [`UNROUTED_CODE`].

use std::collections::HashMap;

use cityai_core::i18n::tf;
use cityai_core::{CategoryPath, Lang};
use cityai_store::CategoryRecord;
use sha2::{Digest, Sha256};

use super::format::{Field, Record};

/// The deepest category level offered as a service.
pub(crate) const SERVICE_DEPTH: usize = 2;

/// The service code of requests that no router or operator has categorised yet.
pub(crate) const UNROUTED_CODE: &str = "unrouted";

/// The attribute code under which a service definition offers its subcategories.
pub(crate) const SUBCATEGORY_ATTRIBUTE: &str = "subcategory";

/// Returns the service code of a category path.
pub(crate) fn code_of(path: &CategoryPath) -> String {
    let digest = Sha256::digest(path.to_string().as_bytes());
    hex::encode(&digest[..6])
}

/// Returns the path of the service a category belongs to: the category itself, or its
/// ancestor at [`SERVICE_DEPTH`].
pub(crate) fn service_path(category: &CategoryPath) -> CategoryPath {
    let mut path = category.clone();
    while path.depth() > SERVICE_DEPTH {
        match path.parent() {
            Some(parent) => path = parent,
            None => break,
        }
    }
    path
}

/// One service and the categories directly below it.
#[derive(Debug, Clone)]
pub(crate) struct Service {
    pub path: CategoryPath,
    pub code: String,
    /// The name of the department responsible, when the taxonomy sets one.
    pub department: Option<String>,
    pub children: Vec<CategoryPath>,
}

impl Service {
    /// Returns the Open311 service representation in `lang`.
    pub(crate) fn record(&self, lang: Lang) -> Record {
        let group = self.path.levels().first().cloned();
        let description = match &self.department {
            Some(department) => tf(
                lang,
                "open311.service_description",
                &[("path", &self.path), ("department", department)],
            ),
            None => tf(
                lang,
                "open311.service_description_no_department",
                &[("path", &self.path)],
            ),
        };
        let mut keywords = vec![self.path.name().to_owned()];
        keywords.extend(self.children.iter().map(|c| c.name().to_owned()));
        vec![
            ("service_code", Field::text(self.code.clone())),
            ("service_name", Field::text(self.path.name())),
            ("description", Field::text(description)),
            ("metadata", Field::Bool(!self.children.is_empty())),
            ("type", Field::text("realtime")),
            ("keywords", Field::text(keywords.join(","))),
            ("group", Field::opt_text(group)),
        ]
    }

    /// Returns the Open311 service definition in `lang`.
    pub(crate) fn definition(&self, lang: Lang) -> Record {
        let mut attributes = Vec::new();
        if !self.children.is_empty() {
            let values = self
                .children
                .iter()
                .map(|child| {
                    vec![
                        ("key", Field::text(code_of(child))),
                        ("name", Field::text(child.name())),
                    ]
                })
                .collect();
            attributes.push(vec![
                ("variable", Field::Bool(true)),
                ("code", Field::text(SUBCATEGORY_ATTRIBUTE)),
                ("datatype", Field::text("singlevaluelist")),
                ("required", Field::Bool(false)),
                (
                    "datatype_description",
                    Field::text(tf(lang, "open311.subcategory_datatype", &[])),
                ),
                ("order", Field::Integer(1)),
                (
                    "description",
                    Field::text(tf(
                        lang,
                        "open311.subcategory_description",
                        &[("service", &self.path.name())],
                    )),
                ),
                (
                    "values",
                    Field::Records {
                        item: "value",
                        records: values,
                    },
                ),
            ]);
        }
        vec![
            ("service_code", Field::text(self.code.clone())),
            (
                "attributes",
                Field::Records {
                    item: "attribute",
                    records: attributes,
                },
            ),
        ]
    }
}

/// The services of a taxonomy, in path order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalog {
    pub services: Vec<Service>,
}

impl Catalog {
    /// Builds the services from the stored categories and department names by code.
    pub(crate) fn new(
        categories: &[CategoryRecord],
        department_names: &HashMap<String, String>,
    ) -> Catalog {
        let mut services: Vec<Service> = categories
            .iter()
            .filter(|record| record.path.depth() <= SERVICE_DEPTH)
            .map(|record| Service {
                path: record.path.clone(),
                code: code_of(&record.path),
                department: record
                    .department
                    .as_ref()
                    .map(|code| department_names.get(code).unwrap_or(code).clone()),
                children: Vec::new(),
            })
            .collect();
        let index: HashMap<CategoryPath, usize> = services
            .iter()
            .enumerate()
            .map(|(i, service)| (service.path.clone(), i))
            .collect();
        for record in categories {
            if let Some(parent) = record.path.parent()
                && let Some(&i) = index.get(&parent)
            {
                services[i].children.push(record.path.clone());
            }
        }
        Catalog { services }
    }

    /// Returns the service with `code`.
    pub(crate) fn by_code(&self, code: &str) -> Option<&Service> {
        self.services.iter().find(|service| service.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_is_stable_and_url_safe() {
        let path = CategoryPath::parse("城乡建设/市政设施").unwrap();
        let code = code_of(&path);
        assert_eq!(code.len(), 12);
        assert!(
            code.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        let digest = Sha256::digest("城乡建设/市政设施".as_bytes());
        assert_eq!(code, hex::encode(&digest[..6]));
        assert_ne!(code, code_of(&CategoryPath::parse("城乡建设").unwrap()));
    }

    #[test]
    fn service_path_stops_at_second_level() {
        let leaf = CategoryPath::parse("城乡建设/市政设施/路灯照明").unwrap();
        assert_eq!(service_path(&leaf).to_string(), "城乡建设/市政设施");
        let top = CategoryPath::parse("城乡建设").unwrap();
        assert_eq!(service_path(&top), top);
    }
}
