//! Dynamically built SQL with the placeholders each backend parses fastest.
//!
//! sqlx's `QueryBuilder` writes `?` placeholders for the `Any` driver, which SQLite accepts
//! and PostgreSQL rejects. [`SqlBuilder`] offers the same few methods and writes `$1`, `$2`,
//! ... for PostgreSQL and plain `?` for SQLite. SQLite looks up every named placeholder
//! (`$1`, `?1`) in a list while it parses and again while sqlx binds. So a multi-row insert
//! with a thousand `$n` placeholders costs a million string comparisons, and a plain `?`
//! costs none.

use std::fmt::Write;

use sqlx::any::{AnyArguments, AnyTypeInfoKind};
use sqlx::query::Query;
use sqlx::{Any, Arguments, Encode, Type};

use crate::Backend;

/// SQL text with bound values, built piece by piece.
pub(crate) struct SqlBuilder<'q> {
    sql: String,
    arguments: AnyArguments<'q>,
    backend: Backend,
    bound: usize,
    /// Whether an `f64`, present or missing, is bound; see [`SqlBuilder::build`].
    binds_double: bool,
    /// The first value that failed to encode, reported by [`SqlBuilder::build`].
    error: Option<sqlx::error::BoxDynError>,
}

impl<'q> SqlBuilder<'q> {
    /// Starts a statement for `backend` with the SQL text `init`.
    pub(crate) fn new(backend: Backend, init: impl Into<String>) -> Self {
        SqlBuilder {
            sql: init.into(),
            arguments: AnyArguments::default(),
            backend,
            bound: 0,
            binds_double: false,
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
        match self.backend {
            Backend::Sqlite => self.sql.push('?'),
            // Writing to a String cannot fail.
            Backend::Postgres => {
                let _ = write!(self.sql, "${}", self.bound);
            }
        }
        if T::type_info().kind() == AnyTypeInfoKind::Double {
            self.binds_double = true;
        }
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
    /// On PostgreSQL, a statement that binds an `f64` is prepared for this run only, not
    /// cached. sqlx's `Any` driver declares a PostgreSQL parameter's type from the value of
    /// the run that prepares the statement, and it declares a missing `f64` as `float4`
    /// (sqlx 0.8.6). A cached statement run again with a present `f64` in that place then
    /// fails with "incorrect binary data format". Other statements, and every statement on
    /// SQLite, are cached as usual.
    ///
    /// # Errors
    ///
    /// [`sqlx::Error::Encode`] when a bound value could not be encoded.
    pub(crate) fn build(&mut self) -> Result<Query<'_, Any, AnyArguments<'_>>, sqlx::Error> {
        if let Some(err) = self.error.take() {
            return Err(sqlx::Error::Encode(err));
        }
        let arguments = std::mem::take(&mut self.arguments);
        let persistent = !(self.backend == Backend::Postgres && self.binds_double);
        Ok(sqlx::query_with(&self.sql, arguments).persistent(persistent))
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
    use sqlx::Execute;

    use super::*;

    fn sample(backend: Backend) -> SqlBuilder<'static> {
        let mut builder = SqlBuilder::new(backend, "INSERT INTO t (a, b) ");
        builder.push_values([(1i64, "x"), (2, "y")], |mut row, (a, b)| {
            row.push_bind(a).push_bind(b);
        });
        builder
            .push(" WHERE c IN (")
            .push_bind_list([3i64, 4])
            .push(")");
        builder
    }

    #[test]
    fn postgres_placeholders_are_numbered_in_order() {
        assert_eq!(
            sample(Backend::Postgres).sql,
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) WHERE c IN ($5, $6)"
        );
    }

    #[test]
    fn sqlite_placeholders_are_plain() {
        assert_eq!(
            sample(Backend::Sqlite).sql,
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?) WHERE c IN (?, ?)"
        );
    }

    #[test]
    fn postgres_doubles_skip_statement_cache() {
        let cached = |backend, double: Option<f64>| {
            let mut builder = SqlBuilder::new(backend, "SELECT ");
            builder.push_bind(Some(2i64)).push(", ").push_bind(double);
            Execute::persistent(&builder.build().unwrap())
        };
        assert!(!cached(Backend::Postgres, None));
        assert!(!cached(Backend::Postgres, Some(1.5)));
        assert!(cached(Backend::Sqlite, None));

        let mut integers = SqlBuilder::new(Backend::Postgres, "SELECT ");
        integers.push_bind(None::<i64>).push(", ").push_bind("text");
        assert!(Execute::persistent(&integers.build().unwrap()));
    }
}
