//! The subset of Calico's selector language auditpack evaluates: `all()`, `k == 'v'`,
//! `k != 'v'`, `has(k)`, `!has(k)` (and `!` before any term), `k in {'a', 'b'}`,
//! `k not in {...}`, `&&`, `||` and parentheses. Anything else (`contains`, `starts with`,
//! `global()`, …) is refused with the position and what was found, so a policy auditpack
//! cannot read is named rather than guessed at.

use serde_json::{Map, Value};

/// A parsed selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// `all()`: every endpoint.
    All,
    /// `has(k)`.
    Has(String),
    /// `k == 'v'`.
    Eq(String, String),
    /// `k != 'v'` (true also when `k` is absent).
    Ne(String, String),
    /// `k in {...}`.
    In(String, Vec<String>),
    /// `!e` (also `k not in {...}`).
    Not(Box<Selector>),
    /// `a && b`.
    And(Box<Selector>, Box<Selector>),
    /// `a || b`.
    Or(Box<Selector>, Box<Selector>),
}

/// Why a selector could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at character {pos}: {what}")]
pub struct SelectorError {
    /// 0-based character position.
    pub pos: usize,
    /// What was expected and found.
    pub what: String,
}

impl Selector {
    /// Parses a selector; the empty string is `all()` (as Calico reads an absent one).
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        let mut p = Parser {
            s: text.chars().collect(),
            i: 0,
        };
        p.ws();
        if p.i == p.s.len() {
            return Ok(Selector::All);
        }
        let e = p.or()?;
        p.ws();
        if p.i < p.s.len() {
            return Err(p.err("the end of the selector"));
        }
        Ok(e)
    }

    /// Whether the selector matches a label set.
    pub fn matches(&self, labels: &Map<String, Value>) -> bool {
        let get = |k: &str| labels.get(k).and_then(Value::as_str);
        match self {
            Selector::All => true,
            Selector::Has(k) => labels.contains_key(k),
            Selector::Eq(k, v) => get(k) == Some(v.as_str()),
            Selector::Ne(k, v) => get(k) != Some(v.as_str()),
            Selector::In(k, vs) => get(k).is_some_and(|h| vs.iter().any(|v| v == h)),
            Selector::Not(e) => !e.matches(labels),
            Selector::And(a, b) => a.matches(labels) && b.matches(labels),
            Selector::Or(a, b) => a.matches(labels) || b.matches(labels),
        }
    }
}

struct Parser {
    s: Vec<char>,
    i: usize,
}

impl Parser {
    fn err(&self, expected: &str) -> SelectorError {
        let found: String = self.s[self.i.min(self.s.len())..].iter().take(12).collect();
        SelectorError {
            pos: self.i,
            what: if found.is_empty() {
                format!("expected {expected}, found the end")
            } else {
                format!("expected {expected}, found `{found}`")
            },
        }
    }

    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|c| c.is_whitespace()) {
            self.i += 1;
        }
    }

    /// Consumes `tok` (after whitespace) if it is next.
    fn eat(&mut self, tok: &str) -> bool {
        self.ws();
        let t: Vec<char> = tok.chars().collect();
        if self.s[self.i..].starts_with(&t) {
            self.i += t.len();
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Selector, SelectorError> {
        let mut e = self.and()?;
        while self.eat("||") {
            e = Selector::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Selector, SelectorError> {
        let mut e = self.unary()?;
        while self.eat("&&") {
            e = Selector::And(Box::new(e), Box::new(self.unary()?));
        }
        Ok(e)
    }

    fn unary(&mut self) -> Result<Selector, SelectorError> {
        if self.eat("!") {
            return Ok(Selector::Not(Box::new(self.unary()?)));
        }
        if self.eat("(") {
            let e = self.or()?;
            if !self.eat(")") {
                return Err(self.err("`)`"));
            }
            return Ok(e);
        }
        if self.eat("all()") {
            return Ok(Selector::All);
        }
        if self.eat("has(") {
            let k = self.key()?;
            if !self.eat(")") {
                return Err(self.err("`)` after the label key"));
            }
            return Ok(Selector::Has(k));
        }
        let k = self.key()?;
        if self.eat("==") {
            return Ok(Selector::Eq(k, self.value()?));
        }
        if self.eat("!=") {
            return Ok(Selector::Ne(k, self.value()?));
        }
        if self.word("in") {
            return Ok(Selector::In(k, self.set()?));
        }
        if self.word("not") {
            if !self.word("in") {
                return Err(self.err("`in` after `not`"));
            }
            return Ok(Selector::Not(Box::new(Selector::In(k, self.set()?))));
        }
        Err(self.err("`==`, `!=`, `in` or `not in` (auditpack reads only these operators)"))
    }

    /// Consumes a keyword followed by a non-key character.
    fn word(&mut self, w: &str) -> bool {
        let start = self.i;
        if self.eat(w) && !self.s.get(self.i).is_some_and(|c| is_key_char(*c)) {
            return true;
        }
        self.i = start;
        false
    }

    fn key(&mut self) -> Result<String, SelectorError> {
        self.ws();
        let start = self.i;
        while self.s.get(self.i).is_some_and(|c| is_key_char(*c)) {
            self.i += 1;
        }
        if start == self.i {
            return Err(self.err("a label key"));
        }
        Ok(self.s[start..self.i].iter().collect())
    }

    fn value(&mut self) -> Result<String, SelectorError> {
        self.ws();
        let Some(&q) = self.s.get(self.i).filter(|c| **c == '\'' || **c == '"') else {
            return Err(self.err("a quoted value"));
        };
        let start = self.i + 1;
        let Some(len) = self.s[start..].iter().position(|c| *c == q) else {
            return Err(self.err("a closing quote"));
        };
        self.i = start + len + 1;
        Ok(self.s[start..start + len].iter().collect())
    }

    fn set(&mut self) -> Result<Vec<String>, SelectorError> {
        if !self.eat("{") {
            return Err(self.err("`{` to open the set of values"));
        }
        let mut out = Vec::new();
        if self.eat("}") {
            return Ok(out);
        }
        loop {
            out.push(self.value()?);
            if self.eat("}") {
                return Ok(out);
            }
            if !self.eat(",") {
                return Err(self.err("`,` or `}`"));
            }
        }
    }
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn the_subset_parses_and_matches() {
        let l =
            labels(json!({"app": "api", "tier": "backend", "projectcalico.org/namespace": "prod"}));
        for (sel, want) in [
            ("", true),
            ("all()", true),
            ("app == 'api'", true),
            ("app == \"web\"", false),
            ("app != 'web'", true),
            ("missing != 'x'", true),
            ("has(tier)", true),
            ("!has(tier)", false),
            ("tier in {'backend', 'db'}", true),
            ("tier not in {'backend'}", false),
            ("app == 'web' || tier == 'backend'", true),
            (
                "app == 'api' && (tier == 'db' || has(projectcalico.org/namespace))",
                true,
            ),
            ("!(app == 'api')", false),
            ("projectcalico.org/namespace == 'prod' && all()", true),
            ("tier in {}", false),
        ] {
            let s = Selector::parse(sel).unwrap_or_else(|e| panic!("{sel}: {e}"));
            assert_eq!(s.matches(&l), want, "{sel}");
        }
    }

    #[test]
    fn precedence_is_and_before_or() {
        let s = Selector::parse("a == '1' || b == '2' && c == '3'").unwrap();
        assert!(s.matches(&labels(json!({"a": "1"}))));
        assert!(!s.matches(&labels(json!({"b": "2"}))));
    }

    #[test]
    fn bad_syntax_is_refused_with_its_position() {
        for (sel, pos, part) in [
            ("app = 'api'", 4, "expected `==`"),
            ("app == api", 7, "a quoted value"),
            ("app == 'api", 7, "closing quote"),
            ("(app == 'a'", 11, "`)`"),
            ("app contains 'x'", 4, "only these operators"),
            ("global()", 6, "expected `==`"),
            ("app == 'a' &&", 13, "a label key"),
            ("app in {'a' 'b'}", 12, "`,` or `}`"),
            ("app == 'a' extra", 11, "the end of the selector"),
        ] {
            let e = Selector::parse(sel).unwrap_err();
            assert_eq!(e.pos, pos, "{sel}: {e}");
            assert!(e.what.contains(part), "{sel}: {e}");
        }
    }
}
