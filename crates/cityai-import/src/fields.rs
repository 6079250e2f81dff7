//! Matching a file's column headers to request fields.
//!
//! Headers are matched by name in Chinese or English, ignoring case, spaces, underscores and
//! hyphens. When several columns match one field, the column whose name comes first in the
//! field's alias list wins, and the others are left unused. `--map COLUMN=FIELD` overrides
//! the match for a column, and `--map COLUMN=ignore` leaves a column out.

use std::collections::BTreeMap;
use std::str::FromStr;

use serde::Serialize;

use crate::error::ImportError;

/// A request field a column can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    ExternalId,
    Title,
    Body,
    SubmittedAt,
    CitizenRef,
    Place,
    Latitude,
    Longitude,
    /// The first-level category, or a whole path such as `城乡建设/安全生产`.
    Category,
    Category2,
    Category3,
    SupportVotes,
    ObjectionVotes,
    Reply,
    RepliedAt,
    /// A column to leave out.
    Ignore,
}

impl Field {
    const ALL: [Field; 16] = [
        Field::ExternalId,
        Field::Title,
        Field::Body,
        Field::SubmittedAt,
        Field::CitizenRef,
        Field::Place,
        Field::Latitude,
        Field::Longitude,
        Field::Category,
        Field::Category2,
        Field::Category3,
        Field::SupportVotes,
        Field::ObjectionVotes,
        Field::Reply,
        Field::RepliedAt,
        Field::Ignore,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::ExternalId => "external_id",
            Field::Title => "title",
            Field::Body => "body",
            Field::SubmittedAt => "submitted_at",
            Field::CitizenRef => "citizen_ref",
            Field::Place => "place",
            Field::Latitude => "latitude",
            Field::Longitude => "longitude",
            Field::Category => "category",
            Field::Category2 => "category2",
            Field::Category3 => "category3",
            Field::SupportVotes => "support_votes",
            Field::ObjectionVotes => "objection_votes",
            Field::Reply => "reply",
            Field::RepliedAt => "replied_at",
            Field::Ignore => "ignore",
        }
    }

    /// Returns every field name that `--map` accepts.
    pub fn names() -> Vec<&'static str> {
        Field::ALL.iter().map(|f| f.as_str()).collect()
    }

    /// Header names that select this field, best match first, already folded by [`fold`].
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::ExternalId => &[
                "留言编号",
                "工单编号",
                "工单号",
                "诉求编号",
                "编号",
                "externalid",
                "id",
                "requestid",
                "servicerequestid",
                "uniquekey",
                "caseenquiryid",
            ],
            Field::Title => &[
                "留言主题",
                "诉求主题",
                "主题",
                "标题",
                "title",
                "casetitle",
                "summary",
            ],
            Field::Body => &[
                "留言详情",
                "诉求内容",
                "来电内容",
                "问题描述",
                "内容",
                "详情",
                "body",
                "description",
                "details",
                "content",
                "text",
            ],
            Field::SubmittedAt => &[
                "留言时间",
                "提交时间",
                "来电时间",
                "受理时间",
                "创建时间",
                "submittedat",
                "requesteddatetime",
                "createddate",
                "opendt",
                "time",
                "date",
            ],
            Field::CitizenRef => &[
                "留言用户",
                "用户",
                "用户编号",
                "来电人编号",
                "citizenref",
                "citizen",
                "userid",
                "user",
            ],
            Field::Place => &[
                "地址",
                "事发地址",
                "事发地点",
                "地点",
                "place",
                "address",
                "location",
                "incidentaddress",
            ],
            Field::Latitude => &["纬度", "latitude", "lat"],
            Field::Longitude => &["经度", "longitude", "long", "lng", "lon"],
            Field::Category => &["一级标签", "一级分类", "分类", "类别", "category", "label"],
            Field::Category2 => &["二级标签", "二级分类", "category2", "subcategory"],
            Field::Category3 => &["三级标签", "三级分类", "category3"],
            Field::SupportVotes => &["点赞数", "supportvotes", "likes", "upvotes"],
            Field::ObjectionVotes => &["反对数", "objectionvotes", "dislikes", "downvotes"],
            Field::Reply => &[
                "答复意见",
                "答复内容",
                "回复内容",
                "reply",
                "officialreply",
                "response",
            ],
            Field::RepliedAt => &[
                "答复时间",
                "回复时间",
                "repliedat",
                "replytime",
                "responsetime",
            ],
            Field::Ignore => &[],
        }
    }
}

impl FromStr for Field {
    type Err = ImportError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let folded = fold(s);
        Field::ALL
            .into_iter()
            .find(|f| fold(f.as_str()) == folded)
            .ok_or_else(|| ImportError::UnknownField {
                field: s.to_owned(),
            })
    }
}

/// Folds a header for matching: lowercase, without spaces, underscores, hyphens and BOM.
fn fold(header: &str) -> String {
    header
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '\u{FEFF}' | '\u{3000}'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The assignment of columns to fields.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ColumnMapping {
    /// Field by column index.
    #[serde(skip)]
    pub(crate) by_column: Vec<Option<Field>>,
    /// Header name to field name, for reports.
    pub columns: BTreeMap<String, Field>,
    /// Headers that fill no field.
    #[serde(rename = "unused_columns")]
    pub unused: Vec<String>,
}

impl ColumnMapping {
    /// Matches `headers` to fields, applying `overrides` (`COLUMN=FIELD` pairs) first.
    ///
    /// # Errors
    ///
    /// [`ImportError::InvalidMapping`] for an override without `=`,
    /// [`ImportError::UnknownColumn`] for an override naming a column the header lacks, and
    /// [`ImportError::UnknownField`] for an unknown field name.
    pub fn build(headers: &[String], overrides: &[String]) -> Result<Self, ImportError> {
        let mut by_column: Vec<Option<Field>> = vec![None; headers.len()];
        let mut fixed = vec![false; headers.len()];
        let mut mapped: BTreeMap<Field, Vec<String>> = BTreeMap::new();

        for pair in overrides {
            let (column, field) =
                pair.split_once('=')
                    .ok_or_else(|| ImportError::InvalidMapping {
                        value: pair.clone(),
                    })?;
            let field: Field = field.trim().parse()?;
            let index = headers
                .iter()
                .position(|h| h == column.trim())
                .or_else(|| headers.iter().position(|h| fold(h) == fold(column)))
                .ok_or_else(|| ImportError::UnknownColumn {
                    column: column.to_owned(),
                    headers: headers.join(", "),
                })?;
            if field != Field::Ignore {
                // An explicit mapping takes the field away from any other column.
                for (other, slot) in by_column.iter_mut().enumerate() {
                    if *slot == Some(field) && !fixed[other] {
                        *slot = None;
                    }
                }
            }
            by_column[index] = Some(field);
            fixed[index] = true;
            if field != Field::Ignore {
                mapped
                    .entry(field)
                    .or_default()
                    .push(headers[index].clone());
            }
        }
        if let Some((field, columns)) = mapped.into_iter().find(|(_, columns)| columns.len() > 1) {
            return Err(ImportError::DuplicateField {
                field: field.as_str().to_owned(),
                columns: columns.join(", "),
            });
        }

        for field in Field::ALL {
            if by_column.contains(&Some(field)) {
                continue;
            }
            let best = field.aliases().iter().find_map(|alias| {
                headers
                    .iter()
                    .enumerate()
                    .position(|(i, h)| !fixed[i] && by_column[i].is_none() && fold(h) == *alias)
            });
            if let Some(index) = best {
                by_column[index] = Some(field);
            }
        }

        let mut mapping = ColumnMapping {
            by_column,
            ..ColumnMapping::default()
        };
        for (header, field) in headers.iter().zip(&mapping.by_column) {
            match field {
                Some(Field::Ignore) | None => mapping.unused.push(header.clone()),
                Some(field) => {
                    mapping.columns.insert(header.clone(), *field);
                }
            }
        }
        Ok(mapping)
    }

    /// Returns the index of the column that fills `field`.
    pub fn column_of(&self, field: Field) -> Option<usize> {
        self.by_column.iter().position(|f| *f == Some(field))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn matches_teddy_cup_headers() {
        let h = headers(&[
            "留言编号",
            "留言用户",
            "留言主题",
            "留言时间",
            "留言详情",
            "一级标签",
            "record_id",
        ]);
        let mapping = ColumnMapping::build(&h, &[]).unwrap();
        assert_eq!(mapping.column_of(Field::ExternalId), Some(0));
        assert_eq!(mapping.column_of(Field::CitizenRef), Some(1));
        assert_eq!(mapping.column_of(Field::Title), Some(2));
        assert_eq!(mapping.column_of(Field::SubmittedAt), Some(3));
        assert_eq!(mapping.column_of(Field::Body), Some(4));
        assert_eq!(mapping.column_of(Field::Category), Some(5));
        assert_eq!(mapping.unused, ["record_id"]);
    }

    #[test]
    fn matches_english_headers_loosely() {
        let h = headers(&["ID", "Title", "Description", "Submitted_At", "Category"]);
        let mapping = ColumnMapping::build(&h, &[]).unwrap();
        assert_eq!(mapping.column_of(Field::ExternalId), Some(0));
        assert_eq!(mapping.column_of(Field::Body), Some(2));
        assert_eq!(mapping.column_of(Field::SubmittedAt), Some(3));
    }

    #[test]
    fn best_alias_wins_when_two_columns_match() {
        let h = headers(&["id", "留言编号", "内容"]);
        let mapping = ColumnMapping::build(&h, &[]).unwrap();
        assert_eq!(mapping.column_of(Field::ExternalId), Some(1));
        assert_eq!(mapping.unused, ["id"]);
    }

    #[test]
    fn override_moves_a_field() {
        let h = headers(&["留言编号", "record_id", "内容"]);
        let mapping = ColumnMapping::build(
            &h,
            &["record_id=external_id".into(), "留言编号=ignore".into()],
        )
        .unwrap();
        assert_eq!(mapping.column_of(Field::ExternalId), Some(1));
        assert_eq!(mapping.unused, ["留言编号"]);
    }

    #[test]
    fn one_field_mapped_twice_is_an_error() {
        let h = headers(&["留言主题", "留言详情"]);
        let err = ColumnMapping::build(&h, &["留言详情=body".into(), "留言主题=body".into()])
            .unwrap_err();
        assert!(
            matches!(&err, ImportError::DuplicateField { field, columns } if field == "body" && columns == "留言详情, 留言主题"),
            "{err:?}"
        );
    }

    #[test]
    fn override_errors_name_the_value() {
        let h = headers(&["a", "b"]);
        let err = ColumnMapping::build(&h, &["a".into()]).unwrap_err();
        assert!(matches!(err, ImportError::InvalidMapping { value } if value == "a"));
        let err = ColumnMapping::build(&h, &["c=body".into()]).unwrap_err();
        assert!(matches!(err, ImportError::UnknownColumn { column, .. } if column == "c"));
        let err = ColumnMapping::build(&h, &["a=colour".into()]).unwrap_err();
        assert!(matches!(err, ImportError::UnknownField { field } if field == "colour"));
    }
}
