//! The three-level category taxonomy (一级/二级/三级分类) and the departments categories map to.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The separator between levels in a stored category path.
pub const PATH_SEPARATOR: char = '/';

/// The deepest level a category may have.
pub const MAX_LEVELS: usize = 3;

/// A category given by its names from the first level down, one to three levels deep.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CategoryPath(Vec<String>);

/// A category path that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxonomyError {
    #[error("category path is empty")]
    Empty,
    #[error("category path {0:?} has more than {MAX_LEVELS} levels")]
    TooDeep(String),
    #[error("category path {0:?} has an empty level")]
    EmptyLevel(String),
    #[error("category name {0:?} contains '{PATH_SEPARATOR}', which separates levels")]
    SeparatorInName(String),
}

impl CategoryPath {
    /// Builds a path from level names, dropping trailing empty levels, so that a taxonomy row
    /// `城乡建设,,` becomes the first-level category `城乡建设`.
    ///
    /// # Errors
    ///
    /// [`TaxonomyError::Empty`] when no level has a name, [`TaxonomyError::EmptyLevel`] when an
    /// empty level sits above a named one, [`TaxonomyError::TooDeep`] past three levels, and
    /// [`TaxonomyError::SeparatorInName`] when a name contains the separator.
    pub fn from_levels<I, S>(levels: I) -> Result<Self, TaxonomyError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut names: Vec<String> = levels
            .into_iter()
            .map(|s| s.as_ref().trim().to_owned())
            .collect();
        while names.last().is_some_and(String::is_empty) {
            names.pop();
        }
        let joined = names.join("/");
        if names.is_empty() {
            return Err(TaxonomyError::Empty);
        }
        if names.len() > MAX_LEVELS {
            return Err(TaxonomyError::TooDeep(joined));
        }
        if names.iter().any(String::is_empty) {
            return Err(TaxonomyError::EmptyLevel(joined));
        }
        if let Some(name) = names.iter().find(|n| n.contains(PATH_SEPARATOR)) {
            return Err(TaxonomyError::SeparatorInName(name.clone()));
        }
        Ok(Self(names))
    }

    /// Parses a stored path such as `城乡建设/安全生产/事故处理`.
    ///
    /// # Errors
    ///
    /// As [`CategoryPath::from_levels`].
    pub fn parse(path: &str) -> Result<Self, TaxonomyError> {
        Self::from_levels(path.split(PATH_SEPARATOR))
    }

    pub fn levels(&self) -> &[String] {
        &self.0
    }

    /// Returns the level, from 1 for a first-level category to 3.
    pub fn depth(&self) -> usize {
        self.0.len()
    }

    /// Returns the last level's name.
    pub fn name(&self) -> &str {
        self.0.last().map(String::as_str).unwrap_or_default()
    }

    /// Returns the first-level category this path belongs to.
    pub fn top(&self) -> CategoryPath {
        CategoryPath(self.0[..1].to_vec())
    }

    /// Returns the parent path, or `None` for a first-level category.
    pub fn parent(&self) -> Option<CategoryPath> {
        (self.0.len() > 1).then(|| CategoryPath(self.0[..self.0.len() - 1].to_vec()))
    }

    /// Returns this path and each of its ancestors, deepest first.
    pub fn self_and_ancestors(&self) -> impl Iterator<Item = CategoryPath> + '_ {
        (1..=self.0.len())
            .rev()
            .map(|n| CategoryPath(self.0[..n].to_vec()))
    }
}

impl fmt::Display for CategoryPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, name) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            f.write_str(name)?;
        }
        Ok(())
    }
}

impl TryFrom<String> for CategoryPath {
    type Error = TaxonomyError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CategoryPath> for String {
    fn from(value: CategoryPath) -> Self {
        value.to_string()
    }
}

/// A government department that handles requests (承办部门).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    /// A short stable code such as `housing`; used in URLs and the API.
    pub code: String,
    /// The display name, such as 市住房和城乡建设局.
    pub name: String,
}

/// One row of the taxonomy: a category and, optionally, the department responsible for it.
///
/// A category without a department inherits its nearest ancestor's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxonomyEntry {
    pub path: CategoryPath,
    pub department: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_levels_drops_trailing_empty_levels() {
        let path = CategoryPath::from_levels(["城乡建设", "", ""]).unwrap();
        assert_eq!(path.depth(), 1);
        assert_eq!(path.to_string(), "城乡建设");
    }

    #[test]
    fn from_levels_rejects_gap() {
        let err = CategoryPath::from_levels(["城乡建设", "", "事故处理"]).unwrap_err();
        assert_eq!(err, TaxonomyError::EmptyLevel("城乡建设//事故处理".into()));
    }

    #[test]
    fn from_levels_rejects_fourth_level() {
        let err = CategoryPath::from_levels(["a", "b", "c", "d"]).unwrap_err();
        assert!(matches!(err, TaxonomyError::TooDeep(_)));
    }

    #[test]
    fn parse_rejects_empty() {
        assert_eq!(CategoryPath::parse("  "), Err(TaxonomyError::Empty));
    }

    #[test]
    fn ancestors_run_deepest_first() {
        let path = CategoryPath::parse("城乡建设/安全生产/事故处理").unwrap();
        let names: Vec<String> = path.self_and_ancestors().map(|p| p.to_string()).collect();
        assert_eq!(
            names,
            [
                "城乡建设/安全生产/事故处理",
                "城乡建设/安全生产",
                "城乡建设"
            ]
        );
        assert_eq!(path.top().to_string(), "城乡建设");
        assert_eq!(path.parent().unwrap().name(), "安全生产");
        assert_eq!(path.top().parent(), None);
    }

    #[test]
    fn serde_uses_the_path_string() {
        let path = CategoryPath::parse("交通运输/公共交通").unwrap();
        let json = serde_json::to_string(&path).unwrap();
        assert_eq!(json, "\"交通运输/公共交通\"");
        let back: CategoryPath = serde_json::from_str(&json).unwrap();
        assert_eq!(back, path);
    }
}
