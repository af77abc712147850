//! A small builder for the dynamic WHERE clauses of the search endpoints: it numbers `$N`
//! placeholders and keeps the values to bind in order. (sqlx's `QueryBuilder<Any>` emits `?`,
//! which PostgreSQL does not read.)

use sqlx::any::AnyArguments;
use sqlx::Arguments;

/// A value to bind.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
}

#[derive(Debug, Default)]
pub(crate) struct Where {
    clauses: Vec<String>,
    args: Vec<Arg>,
}

impl Where {
    /// Adds a value and returns its placeholder.
    pub fn bind(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    pub fn text(&mut self, s: &str) -> String {
        self.bind(Arg::Text(s.to_string()))
    }

    /// `expr IN ($a, $b, ...)`; an empty list matches nothing.
    pub fn in_list(&mut self, expr: &str, values: &[String]) -> String {
        if values.is_empty() {
            return "1 = 0".into();
        }
        let ph: Vec<String> = values.iter().map(|v| self.text(v)).collect();
        format!("{expr} IN ({})", ph.join(", "))
    }

    /// Case-insensitive substring match with LIKE wildcards in the input escaped.
    pub fn fuzzy(&mut self, expr: &str, needle: &str) -> String {
        let escaped = needle
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let ph = self.text(&format!("%{escaped}%"));
        format!("LOWER({expr}) LIKE {ph} ESCAPE '\\'")
    }

    pub fn push(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    /// The clauses joined by `op` and wrapped in parentheses; `1 = 1` when empty.
    pub fn joined(&self, op: &str) -> String {
        if self.clauses.is_empty() {
            "1 = 1".into()
        } else {
            format!("({})", self.clauses.join(&format!(" {op} ")))
        }
    }

    /// Takes the clauses out, leaving the bound values (to add fixed conditions after them).
    pub fn take_clauses(&mut self) -> Vec<String> {
        std::mem::take(&mut self.clauses)
    }

    pub fn arguments(&self) -> Result<AnyArguments<'static>, sqlx::Error> {
        let mut out = AnyArguments::default();
        for a in &self.args {
            match a {
                Arg::Text(s) => out.add(s.clone()),
                Arg::Int(i) => out.add(*i),
            }
            .map_err(sqlx::Error::Encode)?;
        }
        Ok(out)
    }
}
