//! Dynamically built SQL with numbered placeholders.
//!
//! sqlx's `QueryBuilder` writes `?` placeholders for the `Any` driver, which SQLite accepts
//! and PostgreSQL rejects. [`SqlBuilder`] offers the same few methods and writes `$1`, `$2`,
//! ..., which both accept.

use std::fmt::Write;

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, Arguments, Encode, Type};

/// SQL text with bound values, built piece by piece.
pub(crate) struct SqlBuilder<'q> {
    sql: String,
    arguments: AnyArguments<'q>,
    bound: usize,
    /// The first value that failed to encode, reported by [`SqlBuilder::build`].
    error: Option<sqlx::error::BoxDynError>,
}

impl<'q> SqlBuilder<'q> {
    pub(crate) fn new(init: impl Into<String>) -> Self {
        SqlBuilder {
            sql: init.into(),
            arguments: AnyArguments::default(),
            bound: 0,
            error: None,
        }
    }

    /// Appends SQL text.
    pub(crate) fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends the next placeholder and binds `value` to it.
    pub(crate) fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        self.bound += 1;
        // Writing to a String cannot fail.
        let _ = write!(self.sql, "${}", self.bound);
        if let Err(err) = self.arguments.add(value)
            && self.error.is_none()
        {
            self.error = Some(err);
        }
        self
    }

    /// Appends one placeholder per item, separated by commas, and binds the items to them.
    pub(crate) fn push_bind_list<I, T>(&mut self, items: I) -> &mut Self
    where
        I: IntoIterator<Item = T>,
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.push_bind(item);
        }
        self
    }

    /// Appends `VALUES (...), (...)` with one row per item; `row` binds the row's values.
    pub(crate) fn push_values<I, F>(&mut self, items: I, mut row: F) -> &mut Self
    where
        I: IntoIterator,
        F: FnMut(ValuesRow<'_, 'q>, I::Item),
    {
        self.sql.push_str("VALUES ");
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.sql.push('(');
            row(
                ValuesRow {
                    builder: self,
                    first: true,
                },
                item,
            );
            self.sql.push(')');
        }
        self
    }

    /// Returns the query, ready to run.
    ///
    /// The statement is prepared for this run only, not cached. sqlx's `Any` driver declares
    /// a PostgreSQL parameter's type from its first value, and it declares a missing `f64`
    /// as `float4` (sqlx 0.8.6), so a cached statement run again with a present `f64` in that
    /// place fails with "incorrect binary data format". Built statements put optional numbers
    /// in such places, and their text changes with the row count anyway.
    ///
    /// # Errors
    ///
    /// [`sqlx::Error::Encode`] when a bound value could not be encoded.
    pub(crate) fn build(&mut self) -> Result<Query<'_, Any, AnyArguments<'_>>, sqlx::Error> {
        if let Some(err) = self.error.take() {
            return Err(sqlx::Error::Encode(err));
        }
        let arguments = std::mem::take(&mut self.arguments);
        Ok(sqlx::query_with(&self.sql, arguments).persistent(false))
    }
}

/// One row of a `VALUES` list.
pub(crate) struct ValuesRow<'b, 'q> {
    builder: &'b mut SqlBuilder<'q>,
    first: bool,
}

impl<'q> ValuesRow<'_, 'q> {
    /// Binds the row's next value.
    pub(crate) fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        if !self.first {
            self.builder.sql.push_str(", ");
        }
        self.first = false;
        self.builder.push_bind(value);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut builder = SqlBuilder::new("INSERT INTO t (a, b) ");
        builder.push_values([(1i64, "x"), (2, "y")], |mut row, (a, b)| {
            row.push_bind(a).push_bind(b);
        });
        builder
            .push(" WHERE c IN (")
            .push_bind_list([3i64, 4])
            .push(")");
        assert_eq!(
            builder.sql,
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) WHERE c IN ($5, $6)"
        );
    }
}
